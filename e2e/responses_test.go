package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/responses"
)

// TestResponsesAcrossProviders: the OpenAI SDK's Responses API against
// models served by Anthropic and Gemini channels: text, streaming and a
// function tool round trip.
func TestResponsesAcrossProviders(t *testing.T) {
	g, k := startProviders(t)
	c := client(g, k.Key)
	ctx := context.Background()
	for _, model := range []string{"claude-mock", "gemini-mock"} {
		t.Run(model, func(t *testing.T) {
			r, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openaiString("hello responses")}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.OutputText(), "You said: hello responses") || r.Usage.TotalTokens == 0 || r.Status != "completed" {
				t.Fatalf("response: %s", r.RawJSON())
			}
			s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openaiString("stream responses")}})
			var text strings.Builder
			completed := false
			for s.Next() {
				ev := s.Current()
				switch ev.Type {
				case "response.output_text.delta":
					text.WriteString(ev.Delta)
				case "response.completed":
					completed = ev.Response.Usage.TotalTokens > 0
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if !completed || !strings.Contains(text.String(), "You said: stream responses") {
				t.Fatalf("stream: completed=%v text %q", completed, text.String())
			}
			tool := responses.ToolParamOfFunction("get_weather", map[string]any{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}}}, false)
			params := responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
				Input: responses.ResponseNewParamsInputUnion{OfString: openaiString("Lima")}}
			r, err = c.Responses.New(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			var call *responses.ResponseFunctionToolCall
			for _, it := range r.Output {
				if it.Type == "function_call" {
					fc := it.AsFunctionCall()
					call = &fc
				}
			}
			if call == nil || call.Name != "get_weather" || !strings.Contains(call.Arguments, "Lima") {
				t.Fatalf("want a get_weather call: %s", r.RawJSON())
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput("cloudy")
			out.OfFunctionCallOutput.CallID = openaiString(call.CallID)
			params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
				responses.ResponseInputItemParamOfMessage("Lima", responses.EasyInputMessageRoleUser),
				responses.ResponseInputItemParamOfFunctionCall(call.Arguments, call.CallID, call.Name), out}}
			r, err = c.Responses.New(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.OutputText(), "cloudy") {
				t.Fatalf("after the tool output: %s", r.RawJSON())
			}
		})
	}
}
