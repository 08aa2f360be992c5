package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// oneChannel declares a single channel of the given type at base.
func oneChannel(typ, base, model string) string {
	return `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - name: up
    type: ` + typ + `
    base_url: "` + base + `"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [` + model + `]
`
}

// A Responses stream on an OpenAI channel ends at response.completed, with
// no [DONE]: relayed as it is, with no error event appended, its usage
// billed and no failure recorded. (The chat relay waited for [DONE] and
// appended an upstream_error event to every complete stream.)
func TestResponsesStreamOnOpenAIChannel(t *testing.T) {
	recorded, err := os.ReadFile("testdata/responses_stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	cut := recorded[:strings.Index(string(recorded), "event: response.completed")]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/responses" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "gpt-cut") {
			_, _ = w.Write(cut)
			return
		}
		_, _ = w.Write(recorded)
	}))
	defer up.Close()
	g := testgw.Start(t, testgw.Options{Config: oneChannel("openai", up.URL+"/v1", "gpt-4.1, gpt-cut")})
	k := g.CreateKey(map[string]any{"name": "responses"})
	h := testgw.Bearer(k.Key)
	resp, body := g.Do("POST", "/v1/responses", h, `{"model":"gpt-4.1","input":"hi","stream":true}`)
	if resp.StatusCode != 200 || string(body) != string(recorded) {
		t.Fatalf("status %d; the stream was not relayed as sent:\n%s", resp.StatusCode, body)
	}
	rows := g.Logs(testgw.Query("key_id", k.ID), 1)
	if len(rows) != 1 || rows[0]["failure_reason"] != nil && rows[0]["failure_reason"] != "" || rows[0]["input_tokens"] != float64(37) || rows[0]["output_tokens"] != float64(11) {
		t.Fatalf("log row: %v", rows)
	}

	// A stream cut before its terminal event ends with the Responses
	// grammar's own error event.
	_, body = g.Do("POST", "/v1/responses", h, `{"model":"gpt-cut","input":"hi","stream":true}`)
	tail := strings.TrimPrefix(string(body), string(cut))
	if !strings.HasPrefix(tail, "event: error\ndata: ") || !strings.Contains(tail, `"type":"error"`) || strings.Contains(tail, "[DONE]") {
		t.Fatalf("a cut Responses stream must end with an error event, got tail %q", tail)
	}
}
