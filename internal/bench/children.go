package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// child is one process the benchmark started: the mock upstream, the bare
// proxy or the gateway. Its output goes to a log file in the run's temp
// directory, shown only when something fails.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // valid after exited is closed
}

// startChild starts exe with args and extra environment. Inherited KEYGATE_*
// variables are dropped so the run is self-contained whatever the caller's
// shell holds (an inherited KEYGATE_REDIS or KEYGATE_DATABASE would change
// what is measured).
func startChild(name, exe string, args, env []string, dir string) (*child, error) {
	logPath := dir + string(os.PathSeparator) + name + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYGATE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to shut down (SIGINT, like ctrl-C) and kills it if it
// has not exited within grace. It always returns within about grace + 2 s.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.exited:
		return
	default:
	}
	// Windows cannot deliver os.Interrupt to another process.
	if runtime.GOOS == "windows" || c.cmd.Process.Signal(os.Interrupt) != nil {
		grace = 0
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.exited:
		return
	case <-t.C:
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
	}
}

// logTail returns the end of the child's output, for error messages.
func (c *child) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no output: " + err.Error() + ")"
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(no output)"
	}
	return s
}

// failure wraps err with what the child said, so a child that fails to
// start explains itself.
func (c *child) failure(err error) error {
	return fmt.Errorf("%s: %w\n--- %s output (%s) ---\n%s", c.name, err, c.name, c.logPath, c.logTail())
}

// freeAddr picks a free loopback port by listening on port 0 and closing
// the listener. Another process could take the port before the child binds
// it; on a benchmark machine that race is rare, and the child would then
// fail to start with a clear error.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitReady polls url until it answers 200, the child exits, ctx ends or
// timeout passes.
func waitReady(ctx context.Context, c *child, url, auth string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s answered %d: %s", url, resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		select {
		case <-c.exited:
			return c.failure(fmt.Errorf("exited before becoming ready (%v)", c.waitErr))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return c.failure(fmt.Errorf("not ready after %v: %s", timeout, last))
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}
