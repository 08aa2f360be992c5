package bench

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// rssInterval is how often a round samples the target's resident set.
const rssInterval = 100 * time.Millisecond

// processRSS returns the resident set size of a process in bytes, from the
// VmRSS line of /proc/PID/status (0 when it cannot be read: not Linux, or
// the process is gone).
func processRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return parseVmRSS(b)
}

// parseVmRSS reads "VmRSS:   12345 kB" out of /proc/PID/status.
func parseVmRSS(b []byte) int64 {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			return 0
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		if len(f) > 1 && string(f[1]) == "kB" {
			n *= 1024
		}
		return n
	}
	return 0
}

// sampleRSS samples a process's resident set every interval until the
// returned function is called, which stops the sampling and returns the
// largest value seen.
func sampleRSS(pid int, every time.Duration) (stop func() int64) {
	var peak atomic.Int64
	peak.Store(processRSS(pid))
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := processRSS(pid); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		if v := processRSS(pid); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load()
	}
}

var goroutinesMetric = []byte("go_goroutines ")

// goroutines reads go_goroutines from a Prometheus endpoint (-1 when it
// cannot). It waits a moment first so goroutines of the round's last
// requests have ended and only what stays is counted.
func goroutines(ctx context.Context, url string) int {
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return -1
	}
	req.Close = true // a kept-alive connection would itself hold a goroutine in the target
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), goroutinesMetric); ok {
			f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			if err != nil {
				return -1
			}
			return int(f)
		}
	}
	return -1
}
