package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/testgw"
)

// videoConfig has a video model at $0.10 a second ($0.20 in 1280x720)
// served by the mock, and a project capped at two jobs in flight.
const videoConfig = `
groups:
  - {name: default, models: ["*"]}
projects: [{name: demo}, {name: other}, {name: capped, max_jobs: 1}]
channels:
  - name: mock
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-gpt, mock-video]
    groups: [default]
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
  - {name: mock-video, per_video_second: 0.10, video_second_prices: {"1280x720": 0.20}}
`

type videoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *videoClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *videoClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type videoEnv struct {
	t   *testing.T
	g   *testgw.Gateway
	clk *videoClock
}

func newVideoEnv(t *testing.T, dsn string) *videoEnv {
	clk := &videoClock{t: time.Now().UTC()}
	g := testgw.Start(t, testgw.Options{DSN: dsn, Config: videoConfig, Now: clk.Now})
	return &videoEnv{t: t, g: g, clk: clk}
}

type video struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
	Seconds  string `json:"seconds"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (e *videoEnv) create(key, body string) (int, video, []byte) {
	e.t.Helper()
	resp, b := e.g.Do("POST", "/v1/videos", jsonHeader(key), body)
	var v video
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v, b
}

func (e *videoEnv) get(key, id string) video {
	e.t.Helper()
	resp, b := e.g.Do("GET", "/v1/videos/"+id, testgw.Bearer(key), "")
	if resp.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d %s", id, resp.StatusCode, b)
	}
	var v video
	_ = json.Unmarshal(b, &v)
	return v
}

// until steps the engine (the clock a poll interval further each time)
// until the job reaches a terminal state.
func (e *videoEnv) until(key, id string) video {
	e.t.Helper()
	for range 20 {
		e.clk.Advance(30 * time.Second)
		if _, err := e.g.App.Server.Jobs.Step(context.Background()); err != nil {
			e.t.Fatal(err)
		}
		if v := e.get(key, id); v.Status == "completed" || v.Status == "failed" || v.Status == "cancelled" {
			return v
		}
	}
	e.t.Fatalf("job %s did not finish", id)
	return video{}
}

func (e *videoEnv) usage(keyID string) (cost float64, requests int) {
	e.t.Helper()
	var out struct {
		Totals struct {
			Cost     float64 `json:"cost_usd"`
			Requests int     `json:"requests"`
		} `json:"totals"`
	}
	e.g.Admin("GET", "/admin/v1/usage?key_id="+keyID, nil, &out)
	return out.Totals.Cost, out.Totals.Requests
}

func eachVideoDB(t *testing.T, f func(t *testing.T, e *videoEnv)) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { f(t, newVideoEnv(t, db.DSN)) })
	}
}

// TestVideoJobFlow: submit, see progress, download, and find the charge of
// the real seconds in the request log and in usage.
func TestVideoJobFlow(t *testing.T) {
	eachVideoDB(t, func(t *testing.T, e *videoEnv) {
		k := e.g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 5, "period": "total"}})
		st, v, b := e.create(k.Key, `{"model":"mock-video","prompt":"a red fox mock:polls=2 mock:seconds=3","seconds":"4","size":"1280x720"}`)
		if st != 200 || !strings.HasPrefix(v.ID, "video_") || v.Object != "video" || v.Status != "queued" {
			t.Fatalf("create: %d %s", st, b)
		}
		if strings.Contains(string(b), "video_mock") {
			t.Fatalf("the upstream's id leaked: %s", b)
		}
		done := e.until(k.Key, v.ID)
		if done.Status != "completed" || done.Progress != 100 || done.Seconds != "3" {
			t.Fatalf("job %+v", done)
		}
		resp, body := e.g.Do("GET", "/v1/videos/"+v.ID+"/content", testgw.Bearer(k.Key), "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" || !strings.Contains(string(body), "ftyp") {
			t.Fatalf("content: %d %s %.40q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		resp, _ = e.g.Do("GET", "/v1/videos/"+v.ID+"/content?variant=thumbnail", testgw.Bearer(k.Key), "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		defer func() {
			// Deleting a completed video ends its content; the charge stands.
			resp, b := e.g.Do("DELETE", "/v1/videos/"+v.ID, testgw.Bearer(k.Key), "")
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"deleted":true`) {
				t.Fatalf("delete: %d %s", resp.StatusCode, b)
			}
			resp, b = e.g.Do("GET", "/v1/videos/"+v.ID+"/content", testgw.Bearer(k.Key), "")
			if resp.StatusCode != 404 || !strings.Contains(string(b), "expired") {
				t.Fatalf("content after delete: %d %s", resp.StatusCode, b)
			}
			if cost, _ := e.usage(k.ID); math.Abs(cost-0.60) > 1e-9 {
				t.Fatalf("usage cost %v after delete, want 0.60", cost)
			}
		}()
		// 3 real seconds at $0.20 (1280x720), not the 4 reserved.
		logs := e.g.Logs(testgw.Query("key_id", k.ID), 1)
		var submit map[string]any
		for _, l := range logs {
			if l["request_type"] == "videos" {
				submit = l
			}
		}
		if submit == nil || submit["charged"] != "yes" || math.Abs(submit["cost_usd"].(float64)-0.60) > 1e-9 {
			t.Fatalf("submit row %v", submit)
		}
		if cost, _ := e.usage(k.ID); math.Abs(cost-0.60) > 1e-9 {
			t.Fatalf("usage cost %v, want 0.60", cost)
		}
		var kv struct {
			Spent float64 `json:"spent_usd"`
		}
		e.g.Admin("GET", "/admin/v1/keys/"+k.ID, nil, &kv)
		if math.Abs(kv.Spent-0.60) > 1e-9 {
			t.Fatalf("key spend %v, want 0.60", kv.Spent)
		}
	})
}

// TestVideoJobFailedRefunded: a failed job costs nothing anywhere, and
// usage totals equal the sum of the settled jobs.
func TestVideoJobFailedRefunded(t *testing.T) {
	eachVideoDB(t, func(t *testing.T, e *videoEnv) {
		k := e.g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 2, "period": "total"}})
		var ids []string
		for _, p := range []string{"mock:polls=1 mock:fail", "mock:polls=1", "mock:polls=1 mock:seconds=2"} {
			st, v, b := e.create(k.Key, fmt.Sprintf(`{"model":"mock-video","prompt":%q,"seconds":4,"size":"720x1280"}`, p))
			if st != 200 {
				t.Fatalf("create: %d %s", st, b)
			}
			ids = append(ids, v.ID)
		}
		want := map[string]string{ids[0]: "failed", ids[1]: "completed", ids[2]: "completed"}
		for id, w := range want {
			if got := e.until(k.Key, id); got.Status != w || (w == "failed") != (got.Error != nil) {
				t.Fatalf("job %s: %+v, want %s", id, got, w)
			}
		}
		// $0.40 + $0.20 settled; the failed job's $0.40 is back.
		cost, _ := e.usage(k.ID)
		if math.Abs(cost-0.60) > 1e-9 {
			t.Fatalf("usage cost %v, want 0.60", cost)
		}
		var kv struct {
			Spent float64 `json:"spent_usd"`
		}
		e.g.Admin("GET", "/admin/v1/keys/"+k.ID, nil, &kv)
		if math.Abs(kv.Spent-0.60) > 1e-9 {
			t.Fatalf("key spend %v, want 0.60", kv.Spent)
		}
		refunded := 0
		for _, l := range e.g.Logs(testgw.Query("key_id", k.ID), 3) {
			if l["charged"] == "refunded" {
				refunded++
				if l["cost_usd"].(float64) != 0 {
					t.Fatalf("refunded row with a cost: %v", l)
				}
			}
		}
		if refunded != 1 {
			t.Fatalf("%d refunded rows, want 1", refunded)
		}
	})
}

// TestVideoBudgetExhaustedAtSubmit: a worst case the budget cannot hold is
// refused and nothing reaches the upstream.
func TestVideoBudgetExhaustedAtSubmit(t *testing.T) {
	eachVideoDB(t, func(t *testing.T, e *videoEnv) {
		k := e.g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.5, "period": "total"}})
		st, _, b := e.create(k.Key, `{"model":"mock-video","prompt":"a long film","seconds":"8","size":"720x1280"}`)
		if st != 429 || !strings.Contains(string(b), `"insufficient_quota"`) {
			t.Fatalf("%d %s", st, b)
		}
		req, _ := http.NewRequest("GET", e.g.Upstream.URL+"/v1/videos", nil)
		req.Header.Set("Authorization", "Bearer "+testgw.UpstreamKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Data []json.RawMessage `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if len(list.Data) != 0 {
			t.Fatalf("the upstream got %d jobs", len(list.Data))
		}
		// Within the budget it goes through.
		if st, _, b := e.create(k.Key, `{"model":"mock-video","prompt":"a short film mock:hang","seconds":"4","size":"720x1280"}`); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
	})
}

func TestVideoCancelAndScope(t *testing.T) {
	eachVideoDB(t, func(t *testing.T, e *videoEnv) {
		k := e.g.CreateKey(nil)
		other := e.g.CreateKey(map[string]any{"project": "other"})
		_, v, _ := e.create(k.Key, `{"model":"mock-video","prompt":"mock:hang","seconds":"4"}`)
		// Another project's key cannot see, fetch or cancel it.
		for _, m := range []string{"GET", "DELETE"} {
			resp, b := e.g.Do(m, "/v1/videos/"+v.ID, testgw.Bearer(other.Key), "")
			if resp.StatusCode != 404 {
				t.Fatalf("%s by another project: %d %s", m, resp.StatusCode, b)
			}
		}
		resp, b := e.g.Do("GET", "/v1/videos", testgw.Bearer(other.Key), "")
		if resp.StatusCode != 200 || strings.Contains(string(b), v.ID) {
			t.Fatalf("list by another project: %d %s", resp.StatusCode, b)
		}
		resp, b = e.g.Do("GET", "/v1/videos", testgw.Bearer(k.Key), "")
		if !strings.Contains(string(b), v.ID) {
			t.Fatalf("own list: %d %s", resp.StatusCode, b)
		}
		resp, b = e.g.Do("GET", "/v1/videos/"+v.ID+"/content", testgw.Bearer(k.Key), "")
		if resp.StatusCode != 400 {
			t.Fatalf("content of a running job: %d %s", resp.StatusCode, b)
		}
		resp, b = e.g.Do("DELETE", "/v1/videos/"+v.ID, testgw.Bearer(k.Key), "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"deleted":true`) || !strings.Contains(string(b), `"cancelled"`) {
			t.Fatalf("delete: %d %s", resp.StatusCode, b)
		}
		if got := e.get(k.Key, v.ID); got.Status != "cancelled" {
			t.Fatalf("after delete: %+v", got)
		}
		// A key scoped to chat may not make videos.
		chat := e.g.CreateKey(map[string]any{"request_types": []string{"chat"}})
		st, _, b := e.create(chat.Key, `{"model":"mock-video","prompt":"x"}`)
		if st != 403 || !strings.Contains(string(b), "model_not_allowed") || !strings.Contains(string(b), "videos") {
			t.Fatalf("chat-only key: %d %s", st, b)
		}
		resp, b = e.g.Do("POST", "/v1/chat/completions", jsonHeader(chat.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("chat by a chat-only key: %d %s", resp.StatusCode, b)
		}
		vid := e.g.CreateKey(map[string]any{"request_types": []string{"videos"}})
		resp, b = e.g.Do("POST", "/v1/chat/completions", jsonHeader(vid.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 403 || !strings.Contains(string(b), "chat") {
			t.Fatalf("chat by a videos-only key: %d %s", resp.StatusCode, b)
		}
	})
}

func TestVideoProjectCapAndRefusals(t *testing.T) {
	eachVideoDB(t, func(t *testing.T, e *videoEnv) {
		k := e.g.CreateKey(map[string]any{"project": "capped"})
		if st, _, b := e.create(k.Key, `{"model":"mock-video","prompt":"mock:hang"}`); st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		st, _, b := e.create(k.Key, `{"model":"mock-video","prompt":"mock:hang"}`)
		if st != 429 || !strings.Contains(string(b), "rate_limit_exceeded") || !strings.Contains(string(b), `project \"capped\"`) {
			t.Fatalf("over the project cap: %d %s", st, b)
		}
		d := e.g.CreateKey(nil)
		st, _, b = e.create(d.Key, `{"model":"mock-video","prompt":"mock:insufficient_balance"}`)
		if st != 503 || !strings.Contains(string(b), "no balance") {
			t.Fatalf("insufficient balance: %d %s", st, b)
		}
		// The channel stays enabled: the next job goes through.
		if st, _, b := e.create(d.Key, `{"model":"mock-video","prompt":"fine mock:hang"}`); st != 200 {
			t.Fatalf("after an insufficient balance: %d %s", st, b)
		}
		st, _, b = e.create(d.Key, `{"model":"mock-video","prompt":"mock:content_policy"}`)
		if st != 400 || !strings.Contains(string(b), "content policy") {
			t.Fatalf("content policy: %d %s", st, b)
		}
		for name, body := range map[string]string{
			"no model":    `{"prompt":"x"}`,
			"no prompt":   `{"model":"mock-video"}`,
			"bad seconds": `{"model":"mock-video","prompt":"x","seconds":"forever"}`,
			"not json":    `{"model":`,
		} {
			if st, _, b := e.create(d.Key, body); st != 400 || !strings.Contains(string(b), "invalid_request") {
				t.Fatalf("%s: %d %s", name, st, b)
			}
		}
	})
}

// TestVideoJobWebhooks: job.completed and job.failed are sent once each,
// with the charge; the test waits on the receiver, not on time.
func TestVideoJobWebhooks(t *testing.T) {
	events := make(chan map[string]any, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		if strings.HasPrefix(ev.Type, "job.") {
			ev.Data["type"] = ev.Type
			events <- ev.Data
		}
	}))
	defer hook.Close()
	clk := &videoClock{t: time.Now().UTC()}
	g := testgw.Start(t, testgw.Options{Config: videoConfig, Now: clk.Now, Configure: func(c *config.Config) {
		c.WebhookURL, c.WebhookSecret = hook.URL, "test-webhook-secret-0123456789"
	}})
	e := &videoEnv{t: t, g: g, clk: clk}
	k := g.CreateKey(nil)
	_, ok, _ := e.create(k.Key, `{"model":"mock-video","prompt":"mock:polls=1","seconds":"4","size":"720x1280"}`)
	_, bad, _ := e.create(k.Key, `{"model":"mock-video","prompt":"mock:polls=1 mock:fail","seconds":"4","size":"720x1280"}`)
	e.until(k.Key, ok.ID)
	e.until(k.Key, bad.ID)
	got := map[string]map[string]any{}
	for len(got) < 2 {
		select {
		case ev := <-events:
			got[ev["job"].(string)] = ev
		case <-time.After(10 * time.Second):
			t.Fatalf("webhooks: %v", got)
		}
	}
	if ev := got[ok.ID]; ev["type"] != "job.completed" || ev["charged"] != "yes" || math.Abs(ev["cost_usd"].(float64)-0.4) > 1e-9 {
		t.Fatalf("completed event %v", ev)
	}
	if ev := got[bad.ID]; ev["type"] != "job.failed" || ev["charged"] != "refunded" || ev["error"] == nil {
		t.Fatalf("failed event %v", ev)
	}
	if strings.Contains(fmt.Sprint(got), k.Key) {
		t.Fatal("a webhook carries the key")
	}
}
