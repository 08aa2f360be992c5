package mockupstream

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testKey = "mock-key"

func newTestServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *httptest.Server, method, path, auth, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, b
}

type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

type chatChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		Text         string  `json:"text"` // legacy completions
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// readSSE parses a stream into its data payloads and reports whether it
// ended with [DONE].
func readSSE(t *testing.T, r io.Reader) (events []string, done bool) {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("unexpected SSE line %q", line)
		}
		if done {
			t.Fatalf("event after [DONE]: %q", data)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		events = append(events, data)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read stream: %v", err)
	}
	return events, done
}

func TestModels(t *testing.T) {
	srv := newTestServer(t, Options{})
	tests := map[string]struct {
		path   string
		status int
		check  func(t *testing.T, body []byte)
	}{
		"list": {"/v1/models", 200, func(t *testing.T, body []byte) {
			var l struct {
				Object string `json:"object"`
				Data   []struct {
					ID, Object, OwnedBy string
					Created             int64
				} `json:"data"`
			}
			mustJSON(t, body, &l)
			if l.Object != "list" || len(l.Data) != 3 {
				t.Fatalf("list = %+v", l)
			}
			want := []string{"mock-gpt", "mock-gpt-mini", "mock-embed"}
			for i, m := range l.Data {
				if m.ID != want[i] || m.Object != "model" || m.Created == 0 {
					t.Errorf("model %d = %+v", i, m)
				}
			}
		}},
		"get": {"/v1/models/mock-gpt", 200, func(t *testing.T, body []byte) {
			var m struct {
				ID      string `json:"id"`
				Object  string `json:"object"`
				OwnedBy string `json:"owned_by"`
			}
			mustJSON(t, body, &m)
			if m.ID != "mock-gpt" || m.Object != "model" || m.OwnedBy == "" {
				t.Fatalf("model = %+v", m)
			}
		}},
		"get failure model": {"/v1/models/mock-error-500", 200, nil},
		"unknown model":     {"/v1/models/gpt-9", 404, wantCode("model_not_found")},
		"unknown path":      {"/v1/nope", 404, nil},
		"missing v1":        {"/models", 404, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := do(t, srv, "GET", tc.path, "", "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.status != 200 {
				var e apiError
				mustJSON(t, body, &e)
				if e.Error.Message == "" || e.Error.Type == "" {
					t.Errorf("error body not OpenAI-shaped: %s", body)
				}
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	srv := newTestServer(t, Options{APIKey: testKey})
	tests := map[string]struct {
		auth   string
		status int
	}{
		"right key":    {"Bearer " + testKey, 200},
		"no header":    {"", 401},
		"wrong key":    {"Bearer other", 401},
		"no scheme":    {testKey, 401},
		"basic scheme": {"Basic " + testKey, 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := do(t, srv, "GET", "/v1/models", tc.auth, "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 401 {
				wantCode("invalid_api_key")(t, body)
				if strings.Contains(string(body), testKey) {
					t.Errorf("error echoes the key: %s", body)
				}
			}
		})
	}
}

func TestChatCompletions(t *testing.T) {
	srv := newTestServer(t, Options{})
	tests := map[string]struct {
		body       string
		status     int
		code       string
		content    string
		finish     string
		completion int
	}{
		"string content": {
			body:   `{"model":"mock-gpt","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}`,
			status: 200, content: "Hello from the mock upstream. You said: hi", finish: "stop", completion: 8,
		},
		"content parts": {
			body:   `{"model":"mock-gpt-mini","messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"two"}]}]}`,
			status: 200, content: "Hello from the mock upstream. You said: one two", finish: "stop", completion: 9,
		},
		"last user message wins": {
			body:   `{"model":"mock-gpt","messages":[{"role":"user","content":"first"},{"role":"assistant","content":null},{"role":"user","content":"second"}]}`,
			status: 200, content: "Hello from the mock upstream. You said: second", finish: "stop", completion: 8,
		},
		"max_tokens truncates": {
			body:   `{"model":"mock-gpt","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}`,
			status: 200, content: "Hello from the", finish: "length", completion: 3,
		},
		"max_completion_tokens truncates": {
			body:   `{"model":"mock-gpt","max_completion_tokens":2,"messages":[{"role":"user","content":"hi"}]}`,
			status: 200, content: "Hello from", finish: "length", completion: 2,
		},
		"long input is echoed truncated": {
			body:   `{"model":"mock-gpt","messages":[{"role":"user","content":"` + strings.Repeat("a", 200) + `"}]}`,
			status: 200, content: "Hello from the mock upstream. You said: " + strings.Repeat("a", 64) + "…", finish: "stop", completion: 8,
		},
		"mock-slow answers": {
			body:   `{"model":"mock-slow","messages":[{"role":"user","content":"hi"}]}`,
			status: 200, content: "Hello from the mock upstream. You said: hi", finish: "stop", completion: 8,
		},
		"bad json":         {body: `{"model":`, status: 400},
		"missing model":    {body: `{"messages":[{"role":"user","content":"hi"}]}`, status: 400},
		"missing messages": {body: `{"model":"mock-gpt"}`, status: 400, code: "missing_required_parameter"},
		"empty messages":   {body: `{"model":"mock-gpt","messages":[]}`, status: 400},
		"bad content type": {body: `{"model":"mock-gpt","messages":[{"role":"user","content":42}]}`, status: 400},
		"zero max_tokens":  {body: `{"model":"mock-gpt","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, status: 400},
		"unknown model":    {body: `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, status: 404, code: "model_not_found"},
		"embedding model":  {body: `{"model":"mock-embed","messages":[{"role":"user","content":"hi"}]}`, status: 400},
		"error 401":        {body: `{"model":"mock-error-401","messages":[{"role":"user","content":"hi"}]}`, status: 401, code: "invalid_api_key"},
		"error 429":        {body: `{"model":"mock-error-429","messages":[{"role":"user","content":"hi"}]}`, status: 429, code: "rate_limit_exceeded"},
		"error 500":        {body: `{"model":"mock-error-500","messages":[{"role":"user","content":"hi"}]}`, status: 500},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, srv, "POST", "/v1/chat/completions", "", tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.status != 200 {
				var e apiError
				mustJSON(t, body, &e)
				if e.Error.Message == "" || e.Error.Type == "" {
					t.Errorf("error body not OpenAI-shaped: %s", body)
				}
				if tc.code != "" {
					wantCode(tc.code)(t, body)
				}
				if tc.status == 429 && resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				return
			}
			var c chatCompletion
			mustJSON(t, body, &c)
			var req struct{ Model string }
			mustJSON(t, []byte(tc.body), &req)
			if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created == 0 || c.Model != req.Model {
				t.Errorf("envelope = %+v", c)
			}
			if len(c.Choices) != 1 {
				t.Fatalf("choices = %+v", c.Choices)
			}
			ch := c.Choices[0]
			if ch.Message.Role != "assistant" || ch.Message.Content != tc.content || ch.FinishReason != tc.finish {
				t.Errorf("choice = %+v, want content %q finish %q", ch, tc.content, tc.finish)
			}
			if c.Usage == nil || c.Usage.CompletionTokens != tc.completion || c.Usage.PromptTokens <= 0 ||
				c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
				t.Errorf("usage = %+v, want completion %d", c.Usage, tc.completion)
			}
		})
	}
}

func TestChatDeterministic(t *testing.T) {
	srv := newTestServer(t, Options{})
	body := `{"model":"mock-gpt","messages":[{"role":"user","content":"same question"}]}`
	var first chatCompletion
	for i := range 2 {
		_, b := do(t, srv, "POST", "/v1/chat/completions", "", body)
		var c chatCompletion
		mustJSON(t, b, &c)
		if i == 0 {
			first = c
			continue
		}
		if c.ID == first.ID {
			t.Errorf("ids repeat: %s", c.ID)
		}
		if c.Choices[0].Message.Content != first.Choices[0].Message.Content || *c.Usage != *first.Usage {
			t.Errorf("answers differ: %+v vs %+v", c, first)
		}
	}
}

func TestChatStream(t *testing.T) {
	srv := newTestServer(t, Options{ChunkDelay: time.Millisecond})
	tests := map[string]struct {
		body      string
		withUsage bool
		finish    string
		text      string
	}{
		"with usage": {
			body:      `{"model":"mock-gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
			withUsage: true, finish: "stop", text: "Hello from the mock upstream. You said: hi",
		},
		"without usage": {
			body:   `{"model":"mock-gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			finish: "stop", text: "Hello from the mock upstream. You said: hi",
		},
		"truncated": {
			body:      `{"model":"mock-gpt","stream":true,"max_tokens":2,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
			withUsage: true, finish: "length", text: "Hello from",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(tc.body))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			events, done := readSSE(t, resp.Body)
			if !done {
				t.Fatal("stream did not end with [DONE]")
			}
			var text strings.Builder
			var id, finish string
			var gotUsage *usage
			for i, ev := range events {
				var c chatChunk
				mustJSON(t, []byte(ev), &c)
				if c.Object != "chat.completion.chunk" || c.Model != "mock-gpt" || !strings.HasPrefix(c.ID, "chatcmpl-") {
					t.Fatalf("chunk %d envelope: %s", i, ev)
				}
				if id == "" {
					id = c.ID
				} else if c.ID != id {
					t.Fatalf("chunk ids differ: %s vs %s", c.ID, id)
				}
				if i == 0 && (len(c.Choices) != 1 || c.Choices[0].Delta.Role != "assistant") {
					t.Errorf("first chunk has no role: %s", ev)
				}
				if c.Usage != nil {
					if i != len(events)-1 || len(c.Choices) != 0 {
						t.Errorf("usage on a chunk other than the last, or with choices: %s", ev)
					}
					gotUsage = c.Usage
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
					if ch.FinishReason != nil {
						finish = *ch.FinishReason
					}
				}
			}
			if text.String() != tc.text || finish != tc.finish {
				t.Errorf("text %q finish %q, want %q %q", text.String(), finish, tc.text, tc.finish)
			}
			if tc.withUsage != (gotUsage != nil) {
				t.Fatalf("usage chunk present = %v, want %v", gotUsage != nil, tc.withUsage)
			}
			if gotUsage != nil && (gotUsage.CompletionTokens != len(splitPieces(tc.text)) ||
				gotUsage.TotalTokens != gotUsage.PromptTokens+gotUsage.CompletionTokens) {
				t.Errorf("usage = %+v", gotUsage)
			}
		})
	}
}

func TestStreamCut(t *testing.T) {
	srv := newTestServer(t, Options{})
	t.Run("chat stream", func(t *testing.T) {
		resp, body := do(t, srv, "POST", "/v1/chat/completions", "",
			`{"model":"mock-stream-cut","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		events, done := readSSE(t, strings.NewReader(string(body)))
		if done || len(events) != 2 {
			t.Fatalf("got %d events, done=%v; want 2 events and no [DONE]", len(events), done)
		}
	})
	t.Run("legacy stream", func(t *testing.T) {
		_, body := do(t, srv, "POST", "/v1/completions", "", `{"model":"mock-stream-cut","stream":true,"prompt":"hi"}`)
		events, done := readSSE(t, strings.NewReader(string(body)))
		if done || len(events) != 2 {
			t.Fatalf("got %d events, done=%v; want 2 events and no [DONE]", len(events), done)
		}
	})
	t.Run("non-stream body is cut", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"mock-stream-cut","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("read error = %v, want unexpected EOF", err)
		}
	})
}

func TestSlowRespectsCancellation(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"mock-slow","messages":[{"role":"user","content":"hi"}]}`))
	start := time.Now()
	_, err := srv.Client().Do(req)
	if err == nil {
		t.Fatal("expected the client deadline to fire")
	}
	if time.Since(start) > time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	// httptest.Server.Close (in cleanup) waits for the handler; if the
	// handler ignored cancellation this test would take 2 s.
}

func TestLatency(t *testing.T) {
	srv := newTestServer(t, Options{Latency: 50 * time.Millisecond})
	start := time.Now()
	resp, _ := do(t, srv, "GET", "/v1/models", "", "")
	if resp.StatusCode != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("status %d after %v", resp.StatusCode, time.Since(start))
	}
}

func TestCompletions(t *testing.T) {
	srv := newTestServer(t, Options{})
	tests := map[string]struct {
		body   string
		status int
		text   string
		finish string
	}{
		"string prompt":   {`{"model":"mock-gpt","prompt":"hi"}`, 200, "Hello from the mock upstream. You said: hi", "stop"},
		"array prompt":    {`{"model":"mock-gpt","prompt":["a","b"]}`, 200, "Hello from the mock upstream. You said: a b", "stop"},
		"token prompt":    {`{"model":"mock-gpt","prompt":[1,2,3]}`, 200, "Hello from the mock upstream.", "stop"},
		"max_tokens":      {`{"model":"mock-gpt","prompt":"hi","max_tokens":1}`, 200, "Hello", "length"},
		"default limit":   {`{"model":"mock-gpt","prompt":"` + strings.Repeat("w ", 30) + `"}`, 200, "", "length"},
		"bad prompt type": {`{"model":"mock-gpt","prompt":{}}`, 400, "", ""},
		"unknown model":   {`{"model":"x","prompt":"hi"}`, 404, "", ""},
		"error 500":       {`{"model":"mock-error-500","prompt":"hi"}`, 500, "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := do(t, srv, "POST", "/v1/completions", "", tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				return
			}
			var c struct {
				ID      string `json:"id"`
				Object  string `json:"object"`
				Choices []struct {
					Text         string `json:"text"`
					FinishReason string `json:"finish_reason"`
				} `json:"choices"`
				Usage usage `json:"usage"`
			}
			mustJSON(t, body, &c)
			if !strings.HasPrefix(c.ID, "cmpl-") || c.Object != "text_completion" || len(c.Choices) != 1 {
				t.Fatalf("envelope: %s", body)
			}
			if tc.text != "" && c.Choices[0].Text != tc.text {
				t.Errorf("text %q, want %q", c.Choices[0].Text, tc.text)
			}
			if c.Choices[0].FinishReason != tc.finish || c.Usage.CompletionTokens != len(splitPieces(c.Choices[0].Text)) {
				t.Errorf("finish %q usage %+v", c.Choices[0].FinishReason, c.Usage)
			}
		})
	}
	t.Run("stream", func(t *testing.T) {
		_, body := do(t, srv, "POST", "/v1/completions", "",
			`{"model":"mock-gpt","prompt":"hi","stream":true,"stream_options":{"include_usage":true}}`)
		events, done := readSSE(t, strings.NewReader(string(body)))
		if !done {
			t.Fatal("no [DONE]")
		}
		var text strings.Builder
		var last chatChunk
		for _, ev := range events {
			var c chatChunk
			mustJSON(t, []byte(ev), &c)
			if c.Object != "text_completion" {
				t.Fatalf("chunk object %q", c.Object)
			}
			for _, ch := range c.Choices {
				text.WriteString(ch.Text)
			}
			last = c
		}
		if text.String() != "Hello from the mock upstream. You said: hi" || last.Usage == nil || len(last.Choices) != 0 {
			t.Errorf("text %q, last chunk %+v", text.String(), last)
		}
	})
}

func TestEmbeddings(t *testing.T) {
	srv := newTestServer(t, Options{})
	type embedding struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	}
	type response struct {
		Object string      `json:"object"`
		Data   []embedding `json:"data"`
		Model  string      `json:"model"`
		Usage  usage       `json:"usage"`
	}
	get := func(t *testing.T, body string) (int, response, []byte) {
		resp, b := do(t, srv, "POST", "/v1/embeddings", "", body)
		var r response
		if resp.StatusCode == 200 {
			mustJSON(t, b, &r)
		}
		return resp.StatusCode, r, b
	}
	floats := func(t *testing.T, raw json.RawMessage) []float32 {
		var v []float32
		mustJSON(t, raw, &v)
		return v
	}

	t.Run("string", func(t *testing.T) {
		status, r, b := get(t, `{"model":"mock-embed","input":"hello world"}`)
		if status != 200 || r.Object != "list" || r.Model != "mock-embed" || len(r.Data) != 1 || r.Usage.PromptTokens == 0 || r.Usage.TotalTokens != r.Usage.PromptTokens {
			t.Fatalf("status %d: %s", status, b)
		}
		v := floats(t, r.Data[0].Embedding)
		if len(v) != 8 || r.Data[0].Object != "embedding" {
			t.Fatalf("embedding = %s", b)
		}
		var norm float64
		for _, f := range v {
			norm += float64(f) * float64(f)
		}
		if math.Abs(norm-1) > 1e-4 {
			t.Errorf("norm² = %v, want 1", norm)
		}
	})
	t.Run("array is deterministic per item", func(t *testing.T) {
		_, r, _ := get(t, `{"model":"mock-embed","input":["a","b","a"]}`)
		if len(r.Data) != 3 || r.Data[2].Index != 2 {
			t.Fatalf("data = %+v", r.Data)
		}
		if string(r.Data[0].Embedding) != string(r.Data[2].Embedding) || string(r.Data[0].Embedding) == string(r.Data[1].Embedding) {
			t.Errorf("vectors: %s %s %s", r.Data[0].Embedding, r.Data[1].Embedding, r.Data[2].Embedding)
		}
	})
	t.Run("base64 matches float", func(t *testing.T) {
		_, rf, _ := get(t, `{"model":"mock-embed","input":"x"}`)
		_, rb, b := get(t, `{"model":"mock-embed","input":"x","encoding_format":"base64"}`)
		var s string
		mustJSON(t, rb.Data[0].Embedding, &s)
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 32 {
			t.Fatalf("base64 %q: %v (%s)", s, err, b)
		}
		want := floats(t, rf.Data[0].Embedding)
		for i := range want {
			got := math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
			if got != want[i] {
				t.Errorf("dim %d: %v != %v", i, got, want[i])
			}
		}
	})
	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"token ids":       {`{"model":"mock-embed","input":[1,2,3]}`, 200},
		"token batches":   {`{"model":"mock-embed","input":[[1,2],[3]]}`, 200},
		"empty array":     {`{"model":"mock-embed","input":[]}`, 400},
		"missing input":   {`{"model":"mock-embed"}`, 400},
		"bad format":      {`{"model":"mock-embed","input":"x","encoding_format":"hex"}`, 400},
		"chat model":      {`{"model":"mock-gpt","input":"x"}`, 400},
		"unknown model":   {`{"model":"text-embedding-9","input":"x"}`, 404},
		"bad json":        {`not json`, 400},
		"error 429":       {`{"model":"mock-error-429","input":"x"}`, 429},
		"simulated 401":   {`{"model":"mock-error-401","input":"x"}`, 401},
		"simulated 500":   {`{"model":"mock-error-500","input":"x"}`, 500},
		"slow still ok":   {`{"model":"mock-slow","input":"x"}`, 200},
		"wrong http verb": {``, 404},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "wrong http verb" {
				resp, _ := do(t, srv, "GET", "/v1/embeddings", "", "")
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d", resp.StatusCode)
				}
				return
			}
			status, _, b := get(t, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, b)
			}
		})
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "ctl\x00\x1f\n\r\t", "ünïcödé ✓", "bad\xffutf8", "line\u2028sep"} {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q → %s: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		_ = json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Errorf("%q round-trips to %q, want %q", s, got, wantS)
		}
	}
}

func TestSplitPieces(t *testing.T) {
	for _, s := range []string{"a", "Hello from the mock", "two  spaces", " lead", "trail "} {
		if got := strings.Join(splitPieces(s), ""); got != s {
			t.Errorf("pieces of %q join to %q", s, got)
		}
	}
}

func BenchmarkChat(b *testing.B) {
	h := New(Options{APIKey: testKey})
	body := `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkChatStream(b *testing.B) {
	h := New(Options{})
	body := `{"model":"mock-gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func wantCode(code string) func(t *testing.T, body []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		var e apiError
		mustJSON(t, body, &e)
		if e.Error.Code == nil || *e.Error.Code != code {
			t.Errorf("error code = %v, want %q: %s", e.Error.Code, code, body)
		}
	}
}
