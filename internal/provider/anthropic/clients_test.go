package anthropic

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
)

// Claude Code's own request (recorded from `claude -p` 2.1.328: a system
// message inside messages, context_management, output_config.effort,
// adaptive thinking, a deferred tool) converts for OpenAI and Gemini
// channels: nothing refused, the system message kept in place, effort and
// thinking mapped to the target's reasoning controls, what has no
// equivalent named as dropped. Each of these was refused before.
func TestClaudeCodeRequestConverts(t *testing.T) {
	body, err := os.ReadFile("testdata/clients/claude-code-2.1.328-p.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(body)
	if err != nil {
		t.Fatalf("Claude Code's request refused: %v", err)
	}
	if len(r.Unmapped) != 0 || strings.Join(r.Dropped, ",") != "context_management" {
		t.Fatalf("unmapped %v, dropped %v", r.Unmapped, r.Dropped)
	}
	if r.ReasoningEffort != "high" || !r.IncludeThoughts {
		t.Fatalf("effort %q, include thoughts %v", r.ReasoningEffort, r.IncludeThoughts)
	}
	// system (top level), user, then the mid-conversation system message.
	if len(r.Messages) < 3 || r.Messages[0].Role != provider.RoleSystem || r.Messages[1].Role != provider.RoleUser ||
		r.Messages[2].Role != provider.RoleSystem || !strings.Contains(r.Messages[2].Text(), "# Environment") {
		t.Fatalf("messages: %+v", roles(r.Messages))
	}
	r.Model = "target"
	ob, err := openai.ToChatRequest(r)
	if err != nil {
		t.Fatalf("for an OpenAI channel: %v", err)
	}
	var oc struct {
		ReasoningEffort string `json:"reasoning_effort"`
		Messages        []struct {
			Role string `json:"role"`
		} `json:"messages"`
		Tools []any `json:"tools"`
	}
	_ = json.Unmarshal(ob, &oc)
	if oc.ReasoningEffort != "high" || len(oc.Messages) < 3 || oc.Messages[2].Role != "system" || len(oc.Tools) != 12 {
		t.Fatalf("OpenAI body: effort %q, %d messages, %d tools", oc.ReasoningEffort, len(oc.Messages), len(oc.Tools))
	}
	gb, err := gemini.ToRequest(r)
	if err != nil {
		t.Fatalf("for a Gemini channel: %v", err)
	}
	var gc struct {
		GenerationConfig struct {
			ThinkingConfig *struct {
				ThinkingBudget  int  `json:"thinkingBudget"`
				IncludeThoughts bool `json:"includeThoughts"`
			} `json:"thinkingConfig"`
		} `json:"generationConfig"`
	}
	_ = json.Unmarshal(gb, &gc)
	if tc := gc.GenerationConfig.ThinkingConfig; tc == nil || tc.ThinkingBudget != provider.BudgetForEffort("high") || !tc.IncludeThoughts {
		t.Fatalf("Gemini thinkingConfig: %s", gb)
	}
}

func roles(ms []provider.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Role)
	}
	return out
}

// thinking enabled with budget_tokens becomes an effort and a budget.
func TestThinkingBudgetMapped(t *testing.T) {
	r, err := ParseRequest([]byte(`{"model":"m","max_tokens":100,"thinking":{"type":"enabled","budget_tokens":10000},"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReasoningEffort != "medium" || r.ThinkingBudget != 10000 || !r.IncludeThoughts {
		t.Fatalf("%+v", r)
	}
}

// Upstream reasoning (DeepSeek-style reasoning_content, Gemini thoughts)
// reaches Claude clients as thinking blocks, streamed before the text.
func TestReasoningRenderedAsThinking(t *testing.T) {
	var e StreamEncoder
	var out []byte
	out = e.Chunk(out, &provider.ChatChunk{Role: "assistant", Reasoning: "Let me think"})
	out = e.Chunk(out, &provider.ChatChunk{Reasoning: " hard."})
	out = e.Chunk(out, &provider.ChatChunk{Text: "Answer."})
	out = e.Finish(out, provider.Usage{InputTokens: 3, OutputTokens: 4})
	s := string(out)
	for _, want := range []string{`"content_block":{"signature":"","thinking":"","type":"thinking"}`, `"delta":{"thinking":"Let me think","type":"thinking_delta"}`,
		`"content_block":{"text":"","type":"text"},"index":1`, `"text":"Answer."`} {
		if !strings.Contains(s, want) {
			t.Fatalf("stream lacks %s:\n%s", want, s)
		}
	}
	if i, j := strings.Index(s, "thinking_delta"), strings.Index(s, "text_delta"); i < 0 || j < i {
		t.Fatalf("thinking must come before the text:\n%s", s)
	}
	b := RenderResponse(&provider.ChatResponse{Text: "Answer.", Reasoning: "Let me think."}, "m")
	if !strings.Contains(string(b), `{"type":"thinking","thinking":"Let me think.","signature":""}`) {
		t.Fatalf("%s", b)
	}
	// The OpenAI decoder reads reasoning_content.
	var d openai.StreamDecoder
	c, err := d.Decode("", []byte(`{"id":"x","choices":[{"index":0,"delta":{"reasoning_content":"hmm"}}]}`))
	if err != nil || c == nil || c.Reasoning != "hmm" {
		t.Fatalf("%+v %v", c, err)
	}
}
