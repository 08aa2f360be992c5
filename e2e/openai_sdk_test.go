// Package e2e drives a real gateway with the official SDKs as clients.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/keygate/keygate/internal/testgw"
)

func client(g *testgw.Gateway, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(30*time.Second))
}

func TestOpenAISDK(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			var logBuf bytes.Buffer
			g := testgw.Start(t, testgw.Options{DSN: db.DSN, Log: &logBuf})
			k := g.CreateKey(map[string]any{"name": "sdk"})
			if !strings.HasPrefix(k.Key, "kg_live_") || len(k.Key) != len("kg_live_")+38 {
				t.Fatalf("created key has the wrong shape: display %s", k.Display)
			}
			c := client(g, k.Key)
			ctx := context.Background()

			t.Run("models", func(t *testing.T) {
				page, err := c.Models.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, m := range page.Data {
					ids = append(ids, m.ID)
				}
				if !contains(ids, "mock-gpt") || !contains(ids, "mock-embed") {
					t.Fatalf("models = %v, want mock-gpt and mock-embed", ids)
				}
				m, err := c.Models.Get(ctx, "mock-gpt")
				if err != nil || m.ID != "mock-gpt" {
					t.Fatalf("get model: %v %v", m, err)
				}
			})

			t.Run("chat", func(t *testing.T) {
				resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model:    "mock-gpt",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello gateway")},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "hello gateway") {
					t.Fatalf("unexpected answer: %+v", resp.Choices)
				}
				if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
					t.Fatalf("usage missing: %+v", resp.Usage)
				}
			})

			t.Run("stream with usage", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
					Model:         "mock-gpt",
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream please")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
				})
				var text strings.Builder
				var usage int64
				chunks := 0
				for s.Next() {
					ch := s.Current()
					chunks++
					for _, choice := range ch.Choices {
						text.WriteString(choice.Delta.Content)
					}
					if ch.Usage.TotalTokens > 0 {
						usage = ch.Usage.TotalTokens
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if chunks < 3 || !strings.Contains(text.String(), "stream please") {
					t.Fatalf("stream: %d chunks, text %q", chunks, text.String())
				}
				if usage == 0 {
					t.Fatal("the client asked for include_usage but got no usage chunk")
				}
			})

			t.Run("stream without usage hides the gateway's usage chunk", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
					Model:    "mock-gpt",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("no usage asked")},
				})
				for s.Next() {
					if ch := s.Current(); len(ch.Choices) == 0 {
						t.Fatalf("client got a chunk without choices (the usage chunk it did not ask for): %s", ch.RawJSON())
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
			})

			t.Run("embeddings", func(t *testing.T) {
				resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "mock-embed",
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Data) != 2 || len(resp.Data[0].Embedding) == 0 {
					t.Fatalf("embeddings: %+v", resp.Data)
				}
			})

			t.Run("bad key", func(t *testing.T) {
				bad := client(g, k.Key[:len(k.Key)-1]+flip(k.Key[len(k.Key)-1]))
				_, err := bad.Models.List(ctx)
				var e *openai.Error
				if !errors.As(err, &e) || e.StatusCode != 401 || e.Code != "invalid_api_key_format" {
					t.Fatalf("typo in key: got %v", err)
				}
				if strings.Contains(e.Message, k.Key[8:20]) {
					t.Fatal("error echoes the key")
				}
				unknown := client(g, "kg_live_"+strings.Repeat("A", 32)+checksumOf("kg_live_"+strings.Repeat("A", 32)))
				_, err = unknown.Models.List(ctx)
				if !errors.As(err, &e) || e.StatusCode != 401 || e.Code != "invalid_api_key" {
					t.Fatalf("unknown key: got %v", err)
				}
				if e.Response == nil || e.Response.Header.Get("X-Request-Id") == "" {
					t.Fatal("no x-request-id on the error")
				}
			})

			t.Run("upstream credential failure is not the client's 401", func(t *testing.T) {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model:    "mock-error-401",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
				})
				var e *openai.Error
				if !errors.As(err, &e) || e.StatusCode != 502 || e.Code != "upstream_auth_failed" {
					t.Fatalf("got %v", err)
				}
			})

			t.Run("logs show every call with its cost", func(t *testing.T) {
				rows := g.Logs(testgw.Query("key_id", k.ID, "limit", "100"), 7)
				var chat, stream, rejected map[string]any
				for _, r := range rows {
					switch {
					case r["request_type"] == "chat" && r["stream"] == false && r["status"] == float64(200):
						chat = r
					case r["request_type"] == "chat" && r["stream"] == true && stream == nil:
						stream = r
					case r["error_code"] == "upstream_auth_failed":
						rejected = r
					}
				}
				if chat == nil || stream == nil || rejected == nil {
					t.Fatalf("missing rows in %d logs", len(rows))
				}
				for _, r := range []map[string]any{chat, stream} {
					if r["cost_usd"].(float64) <= 0 || r["charged"] != "yes" || r["input_tokens"].(float64) == 0 ||
						r["output_tokens"].(float64) == 0 || r["usage_estimated"] != false || r["channel"] != "mock" ||
						r["key_display"] != k.Display || r["project"] != "demo" || r["group"] != "default" {
						t.Fatalf("bad log row: %v", r)
					}
				}
				if rejected["charged"] != "no" || rejected["status"] != float64(502) {
					t.Fatalf("bad rejected row: %v", rejected)
				}
				// A typo'd key is not a known key: its row has no key_id, but a display form.
				typo := g.Logs(testgw.Query("error_code", "invalid_api_key_format"), 1)
				if len(typo) == 0 || typo[0]["key_display"] == "" {
					t.Fatalf("rejected call not logged with display form: %v", typo)
				}
			})

			// The plaintext key appears nowhere but the creation response.
			if err := g.App.Close(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logBuf.String(), k.Key) || strings.Contains(logBuf.String(), testgw.UpstreamKey) {
				t.Fatal("a key appears in the gateway's log output")
			}
			if db.Name == "sqlite" {
				path := strings.TrimPrefix(db.DSN, "sqlite:")
				for _, f := range []string{path, path + "-wal"} {
					b, _ := os.ReadFile(f)
					if bytes.Contains(b, []byte(k.Key)) || bytes.Contains(b, []byte(k.Key[8:])) || bytes.Contains(b, []byte(testgw.UpstreamKey)) {
						t.Fatalf("plaintext key found in %s", filepath.Base(f))
					}
				}
			}
		})
	}
}

func TestClientKeyNeverSentUpstream(t *testing.T) {
	var seen []string
	g := testgw.Start(t, testgw.Options{})
	inner := g.Upstream.Config.Handler
	g.Upstream.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		inner.ServeHTTP(w, r)
	})
	k := g.CreateKey(nil)
	c := client(g, k.Key)
	if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "mock-gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "Bearer "+testgw.UpstreamKey {
		t.Fatalf("upstream saw Authorization %q, want the channel credential", seen)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}
