package openai

import (
	"encoding/json"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// renderUsage is u as OpenAI writes it, as a struct: the reference for
// appendUsage.
func renderUsage(u provider.Usage) *chatUsage {
	c := &chatUsage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
	if u.CachedInputTokens > 0 {
		c.PromptTokensDetails = &tokenDetails{CachedTokens: u.CachedInputTokens}
	}
	if u.ReasoningTokens > 0 {
		c.CompletionTokensDetails = &tokenDetails{ReasoningTokens: u.ReasoningTokens}
	}
	return c
}

// renderResponseJSON is RenderResponse by json.Marshal of the response
// struct, the reference the appended bytes must equal.
func renderResponseJSON(r *provider.ChatResponse) []byte {
	msg := &responseMessage{Role: "assistant"}
	if r.Text != "" || len(r.ToolCalls) == 0 {
		t := r.Text
		msg.Content = &t
	}
	for _, tc := range r.ToolCalls {
		c := chatToolCall{ID: tc.ID, Type: "function"}
		c.Function.Name, c.Function.Arguments = tc.Name, tc.Arguments
		msg.ToolCalls = append(msg.ToolCalls, c)
	}
	fr := r.FinishReason
	if fr == "" {
		fr = provider.FinishStop
	}
	out := chatResponse{ID: r.ID, Object: "chat.completion", Created: r.Created, Model: r.Model,
		Choices: []chatChoice{{Message: msg, FinishReason: &fr}},
		Usage:   renderUsage(r.Usage)}
	b, _ := json.Marshal(out)
	return b
}

// finishJSON is StreamEncoder.Finish's usage chunk by json.Marshal.
func finishJSON(e *StreamEncoder, u provider.Usage) []byte {
	var dst []byte
	if e.IncludeUsage {
		dst = e.event(dst, chatResponse{ID: e.ID, Object: "chat.completion.chunk", Created: e.Created, Model: e.Model,
			Choices: []chatChoice{}, Usage: renderUsage(u)})
	}
	return append(dst, "data: [DONE]\n\n"...)
}

func renderCases() []*provider.ChatResponse {
	return []*provider.ChatResponse{
		{},
		{ID: "chatcmpl-1", Model: "m", Created: 17, Text: "Hello <b>&amp;</b> \u2028 \xff \"q\" \\ \n\t\x01", FinishReason: "length",
			Usage: provider.Usage{InputTokens: 12, OutputTokens: 5, CachedInputTokens: 3, ReasoningTokens: 2}},
		{ID: "msg_x", Model: "claude", ToolCalls: []provider.ToolCall{{ID: "call_1", Name: "get", Arguments: `{"a": 1}`}, {Arguments: ""}}, FinishReason: "tool_calls"},
		{Text: "both", ToolCalls: []provider.ToolCall{{ID: "c", Name: "n", Arguments: "{}"}}, Created: -5, Usage: provider.Usage{InputTokens: -1}},
	}
}

func TestRenderResponseAsMarshalled(t *testing.T) {
	for _, r := range renderCases() {
		if got, want := RenderResponse(r), renderResponseJSON(r); string(got) != string(want) {
			t.Errorf("RenderResponse(%+v)\n got %s\nwant %s", r, got, want)
		}
		for _, inc := range []bool{false, true} {
			e := &StreamEncoder{ID: r.ID, Model: r.Model, Created: r.Created, IncludeUsage: inc}
			if got, want := e.Finish(nil, r.Usage), finishJSON(e, r.Usage); string(got) != string(want) {
				t.Errorf("Finish(%+v)\n got %s\nwant %s", r.Usage, got, want)
			}
		}
	}
}

func FuzzRenderResponse(f *testing.F) {
	for _, r := range renderCases() {
		a := ""
		if len(r.ToolCalls) > 0 {
			a = r.ToolCalls[0].Arguments
		}
		f.Add(r.ID, r.Model, r.Text, r.FinishReason, a, int64(r.Created), r.Usage.InputTokens, r.Usage.CachedInputTokens, r.Usage.ReasoningTokens, len(r.ToolCalls))
	}
	f.Fuzz(func(t *testing.T, id, model, text, finish, args string, created int64, in, cached, reasoning, calls int) {
		r := &provider.ChatResponse{ID: id, Model: model, Text: text, FinishReason: finish, Created: created,
			Usage: provider.Usage{InputTokens: in, OutputTokens: in / 3, CachedInputTokens: cached, ReasoningTokens: reasoning}}
		for i := range calls % 4 {
			r.ToolCalls = append(r.ToolCalls, provider.ToolCall{ID: id[:min(i, len(id))], Name: model, Arguments: args})
		}
		if got, want := RenderResponse(r), renderResponseJSON(r); string(got) != string(want) {
			t.Fatalf("RenderResponse(%+v)\n got %s\nwant %s", r, got, want)
		}
		e := &StreamEncoder{ID: id, Model: model, Created: created, IncludeUsage: true}
		if got, want := e.Finish(nil, r.Usage), finishJSON(e, r.Usage); string(got) != string(want) {
			t.Fatalf("Finish(%+v)\n got %s\nwant %s", r.Usage, got, want)
		}
	})
}
