package relay

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/store"
)

// A converted stream answers with its codec's content type and the headers
// that keep proxies from buffering it, each value once, as pass-through does.
func TestConvertedStreamHeaders(t *testing.T) {
	for _, c := range convertedCases(t) {
		if !c.stream || c.name == "stream/pass-through" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			rl := newRelay()
			rl.Client = &http.Client{Transport: c.up}
			u, _ := url.Parse("http://upstream.invalid/v1")
			chs := []*catalog.Channel{{Channel: store.Channel{Name: "c", Type: c.chType, Weight: 1, Enabled: true}, APIKey: "sk-channel-secret-0000", URL: u}}
			w := &recordingWriter{discardWriter: discardWriter{h: http.Header{}}}
			req := c.request()
			req.Channels = chs
			ct := req.Codec.StreamContentType()
			var res Result
			if err := rl.Do(context.Background(), w, &req, &res); err != nil || !res.Completed {
				t.Fatalf("relay: %v, completed %v: %s", err, res.Completed, w.out)
			}
			for k, v := range map[string]string{"Content-Type": ct, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
				if got := w.h[k]; len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want [%q]", k, got, v)
				}
			}
		})
	}
}

func TestStreamContentType(t *testing.T) {
	for _, ct := range []string{"text/event-stream; charset=utf-8", "text/event-stream", "application/json; charset=UTF-8", "application/x-ndjson"} {
		if got := streamContentType(ct); len(got) != 1 || got[0] != ct {
			t.Errorf("streamContentType(%q) = %q", ct, got)
		}
	}
}
