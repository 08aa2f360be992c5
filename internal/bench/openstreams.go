package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// openStreamDelay is the mock's pause between chunks when streams are held
// open: its ~20-chunk answers then last long past the time it takes to open
// thousands of them, so every stream is still open when memory is read.
const openStreamDelay = 2 * time.Second

// openTimeout bounds how long opening all streams through one target may
// take; streams not open by then are counted as failed.
const openTimeout = 30 * time.Second

// chunkDelay is the mock's pause between stream chunks for this run.
func (r *run) chunkDelay() time.Duration {
	if r.cfg.OpenStreams > 0 {
		return max(r.cfg.ChunkDelay, openStreamDelay)
	}
	return r.cfg.ChunkDelay
}

// openResult is one target's memory with many streams open at once.
type openResult struct {
	target     string
	opened     int
	failed     int
	sample     string // the first failure
	idleRSS    int64  // before the streams, after a short warm-up
	openRSS    int64  // largest resident set while all streams were open
	goroutines int    // the gateway's go_goroutines while they were open (-1 unknown)
}

// openStreams measures each target in turn: a short warm-up, its resident
// set, then cfg.OpenStreams streams opened at once and held open (each has
// received its first line) while the resident set is sampled.
func (r *run) openStreams(ctx context.Context) ([]openResult, error) {
	var out []openResult
	for _, t := range r.targets {
		l := NewLoader(t.Target, 4, true)
		l.Run(ctx, 500*time.Millisecond) // pools and heap settle, as in the throughput rounds
		l.Close()
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		res := openResult{target: t.Name, idleRSS: processRSS(t.proc.pid()), goroutines: -1}
		release := holdStreams(ctx, t.Target, r.cfg.OpenStreams, &res)
		stop := sampleRSS(t.proc.pid(), rssInterval)
		sleepCtx(ctx, time.Second)
		if t.metrics != "" {
			res.goroutines = goroutines(ctx, t.metrics)
		}
		res.openRSS = stop()
		release()
		out = append(out, res)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

// holdStreams opens n streams to t, each on its own connection, and returns
// once every one has received its first line, has failed, or openTimeout
// passed. The returned function closes them all and waits for their
// goroutines.
func holdStreams(ctx context.Context, t Target, n int, res *openResult) (release func()) {
	ctx, cancel := context.WithCancel(ctx)
	tr := &http.Transport{
		Proxy:              nil,
		DialContext:        (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableKeepAlives:  true,
		DisableCompression: true,
	}
	client := &http.Client{Transport: tr}
	body := t.StreamBody
	if body == nil {
		body = []byte(chatStreamBody)
	}
	var (
		wg       sync.WaitGroup
		opened   atomic.Int64
		failed   atomic.Int64
		mu       sync.Mutex
		sample   string
		progress = make(chan struct{}, n)
	)
	fail := func(msg string) {
		failed.Add(1)
		mu.Lock()
		if sample == "" {
			sample = msg
		}
		mu.Unlock()
		progress <- struct{}{}
	}
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
			if err != nil {
				fail(err.Error())
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if t.Auth != "" {
				req.Header.Set("Authorization", t.Auth)
			}
			for k, v := range t.Header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				fail(err.Error())
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
				fail(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(head)))
				return
			}
			br := bufio.NewReaderSize(resp.Body, 4<<10)
			if _, err := br.ReadSlice('\n'); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				fail("no first line: " + err.Error())
				return
			}
			opened.Add(1)
			progress <- struct{}{}
			// Keep reading, as a real client does, until released.
			_, _ = io.Copy(io.Discard, br)
		})
	}
	deadline := time.NewTimer(openTimeout)
	defer deadline.Stop()
wait:
	for done := 0; done < n; done++ {
		select {
		case <-progress:
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	res.opened = int(opened.Load())
	res.failed = n - res.opened
	mu.Lock()
	res.sample = sample
	mu.Unlock()
	if res.failed > 0 && res.sample == "" {
		res.sample = fmt.Sprintf("not open within %v", openTimeout)
	}
	return func() {
		cancel()
		wg.Wait()
		tr.CloseIdleConnections()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// reportOpenStreams prints the open-stream memory table and the
// gateway/bare ratio of resident sets.
func reportOpenStreams(out io.Writer, cfg Config, res []openResult) {
	fmt.Fprintf(out, "\nkeygate bench: %d slow streams held open at once per target (mock pauses %v between chunks)\n\n",
		cfg.OpenStreams, max(cfg.ChunkDelay, openStreamDelay))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\topen\tfailed\tidle RSS\tRSS with streams open\tper stream\tgoroutines\t")
	for _, r := range res {
		per := "n/a"
		if r.opened > 0 && r.openRSS > 0 && r.idleRSS > 0 {
			per = fmt.Sprintf("%.1fKB", float64(r.openRSS-r.idleRSS)/1024/float64(r.opened))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", r.target, r.opened, r.failed, mb(r.idleRSS), mb(r.openRSS), per, count(r.goroutines))
	}
	_ = tw.Flush()
	for _, r := range res {
		if r.failed > 0 {
			fmt.Fprintf(out, "errors: %s: %d streams did not open, e.g. %s\n", r.target, r.failed, r.sample)
		}
	}
	var proxy, gateway *openResult
	for i := range res {
		switch res[i].target {
		case TargetProxy:
			proxy = &res[i]
		case TargetGateway:
			gateway = &res[i]
		}
	}
	if proxy == nil || gateway == nil || proxy.openRSS <= 0 || gateway.openRSS <= 0 {
		return
	}
	fmt.Fprintf(out, "\ngateway / bare proxy, same run:\n")
	fmt.Fprintf(out, "  RSS with %d streams open  %.2f× (gateway %s vs proxy %s)\n",
		cfg.OpenStreams, float64(gateway.openRSS)/float64(proxy.openRSS), mb(gateway.openRSS), mb(proxy.openRSS))
}
