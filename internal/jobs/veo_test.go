package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/store"
)

// TestVeoAdapter replays recorded Gemini operation payloads: submit by
// predictLongRunning, poll the operation until done, download the video by
// its URI with the channel credential, and read a filtered answer as a
// failed job.
func TestVeoAdapter(t *testing.T) {
	var polls atomic.Int32
	final := "veo_done.json"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Goog-Api-Key") != "AIza-test-credential" {
			http.Error(w, `{"error":{"code":403,"message":"API key not valid.","status":"PERMISSION_DENIED"}}`, http.StatusForbidden)
			return
		}
		serve := func(name string) {
			b, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "{{BASE}}", srv.URL+"/v1beta")))
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1beta/models/veo-3.0-generate-001:predictLongRunning":
			var body struct {
				Instances  []map[string]any `json:"instances"`
				Parameters map[string]any   `json:"parameters"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body.Instances[0]["prompt"] != "a lighthouse" || body.Parameters["durationSeconds"] != 8.0 || body.Parameters["aspectRatio"] != "16:9" {
				t.Errorf("request %+v", body)
			}
			serve("veo_submit.json")
		case r.URL.Path == "/v1beta/models/veo-3.0-generate-001/operations/a1b2c3d4e5":
			if polls.Add(1) == 1 {
				serve("veo_running.json")
				return
			}
			serve(final)
		case r.URL.Path == "/v1beta/files/f9e8d7:download":
			w.Header().Set("Content-Type", "video/mp4")
			_, _ = io.WriteString(w, "MP4DATA")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/v1beta")
	ch := &catalog.Channel{Channel: store.Channel{Name: "gemini", Type: "gemini"}, APIKey: "AIza-test-credential", URL: u}
	v := &jobs.Veo{HTTP: srv.Client()}
	ctx := context.Background()
	j := &store.Job{UpstreamModel: "veo-3.0-generate-001"}
	st, err := v.Submit(ctx, ch, j, &jobs.Params{Prompt: "a lighthouse", Seconds: 8, Size: "1280x720"})
	if err != nil || st.UpstreamID != "models/veo-3.0-generate-001/operations/a1b2c3d4e5" || st.State != "in_progress" {
		t.Fatalf("submit: %+v %v", st, err)
	}
	j.UpstreamID = st.UpstreamID
	if st, err = v.Poll(ctx, ch, j); err != nil || st.State != "in_progress" {
		t.Fatalf("first poll: %+v %v", st, err)
	}
	if st, err = v.Poll(ctx, ch, j); err != nil || st.State != "completed" {
		t.Fatalf("second poll: %+v %v", st, err)
	}
	resp, err := v.Content(ctx, ch, j, "video")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "MP4DATA" {
		t.Fatalf("content %q", b)
	}
	final = "veo_filtered.json"
	if st, err = v.Poll(ctx, ch, j); err != nil || st.State != "failed" || st.ErrorCode != "content_policy_violation" {
		t.Fatalf("filtered: %+v %v", st, err)
	}
	ch.APIKey = "AIza-wrong"
	_, err = v.Poll(ctx, ch, j)
	if jobs.Classify(err) != jobs.ClassAuth {
		t.Fatalf("a refused credential classified %v (%v)", jobs.Classify(err), err)
	}
}
