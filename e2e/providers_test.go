package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/testgw"
)

// providersConfig has one channel of each type, plus a dead Anthropic
// channel in front of a live one for failover.
const providersConfig = `
groups:
  - {name: default, models: ["*"]}
projects: [{name: demo}]
channels:
  - name: mock
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-gpt]
  - name: claude
    type: anthropic
    base_url: "{{ANTHROPIC}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [claude-mock, claude-failover, claude-stream-cut]
    model_map: {claude-mock: claude-mock-20250101}
  - name: claude-dead
    type: anthropic
    base_url: "http://127.0.0.1:1/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [claude-failover]
    priority: 10
  - name: gemini
    type: gemini
    base_url: "{{GEMINI}}/v1beta"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [gemini-mock]
models:
  - {name: claude-mock, input_per_mtok: 3, output_per_mtok: 15, max_output_tokens: 1024}
  - {name: gemini-mock, input_per_mtok: 0.1, output_per_mtok: 0.4}
`

func startProviders(t *testing.T) (*testgw.Gateway, testgw.CreatedKey) {
	t.Helper()
	o := mockupstream.Options{APIKey: testgw.UpstreamKey}
	an := httptest.NewServer(mockupstream.NewAnthropic(o))
	t.Cleanup(an.Close)
	ge := httptest.NewServer(mockupstream.NewGemini(o))
	t.Cleanup(ge.Close)
	cfg := strings.NewReplacer("{{ANTHROPIC}}", an.URL, "{{GEMINI}}", ge.URL).Replace(providersConfig)
	g := testgw.Start(t, testgw.Options{Config: cfg})
	return g, g.CreateKey(map[string]any{"name": "providers"})
}

var weatherTool = openai.ChatCompletionToolUnionParam{OfFunction: &openai.ChatCompletionFunctionToolParam{
	Function: openai.FunctionDefinitionParam{Name: "get_weather", Description: openai.String("Weather for a city"),
		Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}}}}}}

// TestOpenAISDKAcrossProviders: the same OpenAI-SDK program against claude-*
// and gemini-* models, streaming and tools included.
func TestOpenAISDKAcrossProviders(t *testing.T) {
	g, k := startProviders(t)
	c := client(g, k.Key)
	ctx := context.Background()
	for _, model := range []string{"mock-gpt", "claude-mock", "gemini-mock"} {
		t.Run(model, func(t *testing.T) {
			t.Run("chat", func(t *testing.T) {
				resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello gateway")}})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "You said: hello gateway") {
					t.Fatalf("answer: %+v", resp.Choices)
				}
				if resp.Choices[0].FinishReason != "stop" || resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
					t.Fatalf("finish %q usage %+v", resp.Choices[0].FinishReason, resp.Usage)
				}
			})
			t.Run("stream", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream please")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if len(acc.Choices) == 0 || !strings.Contains(acc.Choices[0].Message.Content, "You said: stream please") {
					t.Fatalf("streamed answer: %+v", acc.Choices)
				}
				if acc.Usage.TotalTokens == 0 {
					t.Fatal("include_usage was set but no usage arrived")
				}
			})
			if model == "mock-gpt" {
				return // the OpenAI mock does not call tools
			}
			t.Run("tools", func(t *testing.T) {
				params := openai.ChatCompletionNewParams{Model: model, Tools: []openai.ChatCompletionToolUnionParam{weatherTool},
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Paris")}}
				resp, err := c.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				msg := resp.Choices[0].Message
				if resp.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_weather" {
					t.Fatalf("want one get_weather call, got finish %q %+v", resp.Choices[0].FinishReason, msg.ToolCalls)
				}
				var args map[string]string
				if err := json.Unmarshal([]byte(msg.ToolCalls[0].Function.Arguments), &args); err != nil || args["query"] != "Paris" {
					t.Fatalf("arguments %q: %v", msg.ToolCalls[0].Function.Arguments, err)
				}
				params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("sunny, 21C", msg.ToolCalls[0].ID))
				resp, err = c.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(resp.Choices[0].Message.Content, "The tool said") || !strings.Contains(resp.Choices[0].Message.Content, "sunny") {
					t.Fatalf("after the tool result: %q", resp.Choices[0].Message.Content)
				}
			})
			t.Run("stream tools", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: model,
					Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Oslo")}})
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				tc := acc.Choices[0].Message.ToolCalls
				if len(tc) != 1 || tc[0].Function.Name != "get_weather" || !strings.Contains(tc[0].Function.Arguments, `"Oslo"`) {
					t.Fatalf("streamed tool calls: %+v", tc)
				}
				if acc.Choices[0].FinishReason != "tool_calls" {
					t.Fatalf("finish reason %q", acc.Choices[0].FinishReason)
				}
			})
			t.Run("unsupported parameter", func(t *testing.T) {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model, LogitBias: map[string]int64{"50256": -100},
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "logit_bias" || !strings.Contains(apiErr.Message, "logit_bias") {
					t.Fatalf("want 400 naming logit_bias, got %v", err)
				}
			})
		})
	}
	t.Run("logs keep asked and served model", func(t *testing.T) {
		rows := g.Logs(testgw.Query("key_id", k.ID, "model", "claude-mock"), 1)
		if len(rows) == 0 {
			t.Fatal("no log rows for claude-mock")
		}
		r := rows[0]
		if r["channel"] != "claude" || r["model_served"] != "claude-mock-20250101" {
			t.Fatalf("row: %v", r)
		}
	})
}

// TestClaudeSDKAcrossChannels: anthropic-sdk-go against /v1/messages over
// each channel type.
func TestClaudeSDKAcrossChannels(t *testing.T) {
	g, k := startProviders(t)
	c := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey(k.Key), aoption.WithMaxRetries(0),
		aoption.WithRequestTimeout(30*time.Second))
	ctx := context.Background()
	for _, model := range []string{"claude-mock", "gemini-mock", "mock-gpt"} {
		t.Run(model, func(t *testing.T) {
			params := anthropic.MessageNewParams{Model: model, MaxTokens: 256,
				System:   []anthropic.TextBlockParam{{Text: "be brief"}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello claude"))}}
			msg, err := c.Messages.New(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "You said: hello claude") || msg.StopReason != "end_turn" {
				t.Fatalf("message: %s", msg.RawJSON())
			}
			if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 {
				t.Fatalf("usage: %+v", msg.Usage)
			}
			s := c.Messages.NewStreaming(ctx, params)
			var acc anthropic.Message
			for s.Next() {
				if err := acc.Accumulate(s.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if len(acc.Content) == 0 || !strings.Contains(acc.Content[0].Text, "You said: hello claude") || acc.StopReason != "end_turn" {
				t.Fatalf("streamed message: %+v", acc)
			}
			if model == "mock-gpt" {
				return
			}
			tool := anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: "get_weather",
				InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"query": map[string]any{"type": "string"}}}}}
			tp := anthropic.MessageNewParams{Model: model, MaxTokens: 256, Tools: []anthropic.ToolUnionParam{tool},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Rome"))}}
			s = c.Messages.NewStreaming(ctx, tp)
			acc = anthropic.Message{}
			for s.Next() {
				if err := acc.Accumulate(s.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			var use *anthropic.ContentBlockUnion
			for i := range acc.Content {
				if acc.Content[i].Type == "tool_use" {
					use = &acc.Content[i]
				}
			}
			if use == nil || use.Name != "get_weather" || !strings.Contains(string(use.Input), `"Rome"`) || acc.StopReason != "tool_use" {
				t.Fatalf("tool use: %s", acc.RawJSON())
			}
			tp.Messages = append(tp.Messages, acc.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "rainy", false)))
			msg, err = c.Messages.New(ctx, tp)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) == 0 || !strings.Contains(msg.Content[0].Text, "rainy") {
				t.Fatalf("after the tool result: %s", msg.RawJSON())
			}
		})
	}
}

// TestFailoverDeadChannel: a dead first channel costs a retry, not an error,
// and the log row records both attempts.
func TestFailoverDeadChannel(t *testing.T) {
	g, k := startProviders(t)
	c := client(g, k.Key)
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "claude-failover",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("still there?")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Choices[0].Message.Content, "still there?") {
		t.Fatalf("answer: %q", resp.Choices[0].Message.Content)
	}
	rows := g.Logs(testgw.Query("key_id", k.ID, "model", "claude-failover"), 1)
	if len(rows) == 0 {
		t.Fatal("no log row")
	}
	if rows[0]["channel"] != "claude" || rows[0]["attempts"] != float64(2) {
		t.Fatalf("row: %v", rows[0])
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if st := g.Admin("GET", "/admin/v1/channels", nil, &list); st != 200 {
		t.Fatalf("GET /admin/v1/channels: %d", st)
	}
	seen := map[string]map[string]any{}
	for _, c := range list.Data {
		seen[c["name"].(string)] = c
	}
	dead, live := seen["claude-dead"], seen["claude"]
	if dead == nil || dead["failures"] != float64(1) || !strings.Contains(fmt.Sprint(dead["last_error"]), "connect") || dead["type"] != "anthropic" {
		t.Fatalf("dead channel: %v", dead)
	}
	if live == nil || live["state"] != "closed" || live["success_rate"] != float64(1) || live["latency_p50_ms"] == nil {
		t.Fatalf("live channel: %v", live)
	}
	if _, leaked := dead["api_key"]; leaked || dead["credential"] != "env:KEYGATE_TEST_UPSTREAM_KEY" {
		t.Fatalf("credential field: %v", dead)
	}
}

// TestGeminiNativeRoute: a Gemini client's generateContent, passed through
// to a Gemini channel and converted for an Anthropic one.
func TestGeminiNativeRoute(t *testing.T) {
	g, k := startProviders(t)
	h := http.Header{"X-Goog-Api-Key": {k.Key}, "Content-Type": {"application/json"}}
	body := `{"contents":[{"role":"user","parts":[{"text":"hi gemini"}]}],"generationConfig":{"maxOutputTokens":100}}`
	for _, model := range []string{"gemini-mock", "claude-mock"} {
		resp, b := g.Do("POST", "/v1beta/models/"+model+":generateContent", h, body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "You said: hi gemini") || !strings.Contains(string(b), `"finishReason":"STOP"`) {
			t.Fatalf("%s generateContent: %d %s", model, resp.StatusCode, b)
		}
		resp, b = g.Do("POST", "/v1beta/models/"+model+":streamGenerateContent?alt=sse", h, body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") ||
			!strings.Contains(string(b), "data: ") || !strings.Contains(string(b), "usageMetadata") {
			t.Fatalf("%s streamGenerateContent: %d %s", model, resp.StatusCode, b)
		}
	}
	resp, b := g.Do("POST", "/v1beta/models/gemini-mock:generateContent", http.Header{"Content-Type": {"application/json"}}, body)
	if resp.StatusCode != 401 || !strings.Contains(string(b), "missing_authorization") {
		t.Fatalf("no key: %d %s", resp.StatusCode, b)
	}
}

func openaiString(s string) param.Opt[string] { return openai.String(s) }
