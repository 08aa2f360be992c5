package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// chatBody is the request every benchmark call sends: the smallest
// realistic chat completion, so the numbers measure the gateway's per-request
// overhead rather than payload handling.
const (
	chatBody       = `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`
	chatStreamBody = `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`
)

// requestTimeout bounds any single request, so a wedged target cannot hold
// a round open past its duration by more than this.
const requestTimeout = 10 * time.Second

// Target is one HTTP endpoint to load.
type Target struct {
	Name string
	URL  string // full URL of the endpoint (chat completions unless Body says otherwise)
	Auth string // Authorization header value
	// Header holds extra request headers (an Anthropic client's x-api-key
	// and anthropic-version, say).
	Header map[string]string
	// Body and StreamBody replace the default chat completion request, for
	// targets that speak another API; Done is the line that ends a complete
	// stream (default "data: [DONE]").
	Body, StreamBody []byte
	Done             []byte
}

// Result is what one load run observed.
type Result struct {
	OK        int               // 2xx answers read to the end (and to [DONE] when streaming)
	Errors    map[string]int    // failures by kind: "http_503", "transport", "stream_without_done"…
	Samples   map[string]string // the first failure of each kind, for diagnosis
	Latencies []time.Duration   // of OK requests: request start to end of body
	TTFB      []time.Duration   // of OK streaming requests: request start to first body byte
	Elapsed   time.Duration     // from start until the last worker finished
	mu        sync.Mutex        // guards the merge of worker results
}

// ErrorCount is the number of failed requests of any kind.
func (r *Result) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// RPS is successful requests per second.
func (r *Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Loader drives one target with a fixed number of concurrent workers, each
// sending the next request as soon as the previous one is answered (a closed
// loop: throughput is whatever the target sustains).
type Loader struct {
	target      Target
	client      *http.Client
	transport   *http.Transport
	body        []byte
	stream      bool
	concurrency int
}

// NewLoader prepares a keep-alive client sized for the concurrency, so the
// run measures the target and not connection setup.
func NewLoader(t Target, concurrency int, stream bool) *Loader {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; never go through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: 2 * concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	body := []byte(chatBody)
	switch {
	case stream && t.StreamBody != nil:
		body = t.StreamBody
	case stream:
		body = []byte(chatStreamBody)
	case t.Body != nil:
		body = t.Body
	}
	if t.Done == nil {
		t.Done = doneLine
	}
	return &Loader{
		target:      t,
		client:      &http.Client{Transport: tr},
		transport:   tr,
		body:        body,
		stream:      stream,
		concurrency: concurrency,
	}
}

// Close drops the loader's idle connections.
func (l *Loader) Close() { l.transport.CloseIdleConnections() }

// Run loads the target for d (or until ctx is done). Workers start no new
// request after d; requests in flight then are allowed to finish (each is
// bounded by requestTimeout) and counted.
func (l *Loader) Run(ctx context.Context, d time.Duration) *Result {
	res := &Result{Errors: map[string]int{}, Samples: map[string]string{}}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range l.concurrency {
		wg.Go(func() {
			w := worker{l: l, br: newReader(), errors: map[string]int{}, samples: map[string]string{}}
			w.loop(ctx, deadline)
			res.merge(&w)
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

func (r *Result) merge(w *worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.OK += w.ok
	r.Latencies = append(r.Latencies, w.latencies...)
	r.TTFB = append(r.TTFB, w.ttfb...)
	for k, n := range w.errors {
		r.Errors[k] += n
		if _, seen := r.Samples[k]; !seen {
			r.Samples[k] = w.samples[k]
		}
	}
}

// newReader returns a reader sized so a stream's lines fit whole.
func newReader() *bufio.Reader { return bufio.NewReaderSize(nil, 16<<10) }

// worker keeps its own tallies so the hot loop takes no locks.
type worker struct {
	l         *Loader
	br        *bufio.Reader
	ok        int
	latencies []time.Duration
	ttfb      []time.Duration
	errors    map[string]int
	samples   map[string]string
}

func (w *worker) loop(ctx context.Context, deadline time.Time) {
	for ctx.Err() == nil && time.Now().Before(deadline) {
		start := time.Now()
		ttfb, kind, sample := w.once(ctx, start)
		if ctx.Err() != nil {
			return // interrupted: neither a success nor the target's fault
		}
		if kind != "" {
			w.errors[kind]++
			if _, seen := w.samples[kind]; !seen {
				w.samples[kind] = sample
			}
			continue
		}
		w.ok++
		w.latencies = append(w.latencies, time.Since(start))
		if w.l.stream {
			w.ttfb = append(w.ttfb, ttfb)
		}
	}
}

var doneLine = []byte("data: [DONE]")

// once sends one request and reads the whole answer. kind is empty on
// success, else the failure class and a short sample of what went wrong.
func (w *worker) once(ctx context.Context, start time.Time) (ttfb time.Duration, kind, sample string) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.l.target.URL, bytes.NewReader(w.l.body))
	if err != nil {
		return 0, "request", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if w.l.target.Auth != "" {
		req.Header.Set("Authorization", w.l.target.Auth)
	}
	for k, v := range w.l.target.Header {
		req.Header.Set(k, v)
	}
	resp, err := w.l.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, "timeout", err.Error()
		}
		return 0, "transport", err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Keep a bit of the body: it usually names the cause (an
		// OpenAI-shaped error), then drain a bounded amount so the
		// connection can be reused.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, "http_" + strconv.Itoa(resp.StatusCode), string(bytes.TrimSpace(head))
	}
	if !w.l.stream {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return 0, "read", err.Error()
		}
		return 0, "", ""
	}

	w.br.Reset(resp.Body)
	first := true
	for {
		line, err := w.br.ReadSlice('\n')
		if first && len(line) > 0 {
			ttfb = time.Since(start)
			first = false
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer is never the [DONE] marker; skip
			// the rest of it.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = w.br.ReadSlice('\n')
			}
			if err == nil {
				continue
			}
		}
		if bytes.Equal(bytes.TrimRight(line, "\r\n"), w.l.target.Done) {
			// Drain what little may follow so the connection is reusable.
			_, _ = io.Copy(io.Discard, io.LimitReader(w.br, 64<<10))
			return ttfb, "", ""
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, "stream_without_done", "the stream ended without " + string(w.l.target.Done)
			}
			return 0, "read", err.Error()
		}
	}
}
