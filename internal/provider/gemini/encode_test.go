package gemini

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
)

// toRequestJSON is ToRequest by json.Marshal, the reference. The
// model is not part of the body: it goes in the URL.
func toRequestJSON(r *provider.ChatRequest) ([]byte, error) {
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls && len(r.Tools) > 0 {
		return nil, provider.Unsupported(Name, "parallel_tool_calls", "Gemini cannot be told to make at most one call per turn; drop parallel_tool_calls=false")
	}
	out := request{Contents: []content{}}
	gc := &generationConfig{Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK, MaxOutputTokens: r.MaxTokens, StopSequences: r.Stop}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object":
			gc.ResponseMimeType = "application/json"
		case "json_schema":
			gc.ResponseMimeType = "application/json"
			gc.ResponseSchema = cleanSchema(f.Schema)
		default:
			return nil, provider.Unsupported(Name, "response_format", fmt.Sprintf("type %q", f.Type))
		}
	}
	budget := r.ThinkingBudget
	if budget == 0 {
		budget = provider.BudgetForEffort(r.ReasoningEffort)
	}
	if budget > 0 || r.IncludeThoughts {
		gc.ThinkingConfig = &thinkingConfig{IncludeThoughts: r.IncludeThoughts}
		if budget > 0 {
			gc.ThinkingConfig.ThinkingBudget = &budget
		}
	}
	if gc.Temperature != nil || gc.TopP != nil || gc.TopK != nil || gc.MaxOutputTokens > 0 || len(gc.StopSequences) > 0 || gc.ResponseMimeType != "" ||
		gc.ThinkingConfig != nil {
		out.GenerationConfig = gc
	}
	if len(r.Tools) > 0 {
		ts := toolSet{}
		for _, t := range r.Tools {
			ts.FunctionDeclarations = append(ts.FunctionDeclarations, functionDeclaration{Name: t.Name, Description: t.Description, Parameters: cleanSchema(t.Parameters)})
		}
		out.Tools = []toolSet{ts}
	}
	if tc := r.ToolChoice; tc != nil {
		cfg := &toolConfig{}
		cfg.FunctionCallingConfig = &struct {
			Mode                 string   `json:"mode,omitempty"`
			AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
		}{}
		switch tc.Mode {
		case provider.ToolAuto:
			cfg.FunctionCallingConfig.Mode = "AUTO"
		case provider.ToolNone:
			cfg.FunctionCallingConfig.Mode = "NONE"
		case provider.ToolRequired:
			cfg.FunctionCallingConfig.Mode = "ANY"
		case provider.ToolNamed:
			cfg.FunctionCallingConfig.Mode = "ANY"
			cfg.FunctionCallingConfig.AllowedFunctionNames = []string{tc.Name}
		}
		out.ToolConfig = cfg
	}
	names := map[string]string{} // tool call id → function name
	for i, m := range r.Messages {
		var c content
		switch m.Role {
		case provider.RoleSystem:
			if out.SystemInstruction == nil {
				out.SystemInstruction = &content{}
			}
			for _, p := range m.Parts {
				if p.Type == provider.PartText {
					out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, part{Text: str(p.Text)})
				}
			}
			continue
		case provider.RoleTool:
			name := m.Name
			if name == "" {
				name = names[m.ToolCallID]
			}
			if name == "" {
				return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_call_id", i),
					"messages[%d] answers tool call %q, which no earlier assistant message made; Gemini needs the function's name", i, m.ToolCallID)
			}
			c = content{Role: "user", Parts: []part{{FunctionResponse: &functionResponse{Name: name, Response: toolResponse(m.Text(), m.IsError)}}}}
		case provider.RoleUser, provider.RoleAssistant:
			c.Role = "user"
			if m.Role == provider.RoleAssistant {
				c.Role = "model"
			}
			for j, p := range m.Parts {
				switch p.Type {
				case provider.PartText:
					if p.Text != "" {
						c.Parts = append(c.Parts, part{Text: str(p.Text)})
					}
				case provider.PartImage:
					if p.URL != "" {
						if !strings.HasPrefix(p.URL, "gs://") && !strings.HasPrefix(p.URL, "https://generativelanguage.googleapis.com/") {
							return nil, provider.Unsupported(Name, fmt.Sprintf("messages[%d].content[%d].image_url", i, j),
								"Gemini does not fetch image URLs; send the image inline as a data: URL (base64)")
						}
						c.Parts = append(c.Parts, part{FileData: &fileData{MimeType: p.MediaType, FileURI: p.URL}})
					} else {
						c.Parts = append(c.Parts, part{InlineData: &blob{MimeType: p.MediaType, Data: p.Data}})
					}
				}
			}
			for j, tc := range m.ToolCalls {
				args := json.RawMessage(tc.Arguments)
				if strings.TrimSpace(tc.Arguments) == "" {
					args = json.RawMessage(`{}`)
				}
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(args, &obj); err != nil {
					return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments", i, j),
						"messages[%d].tool_calls[%d].function.arguments is not a JSON object; Gemini needs call arguments as an object", i, j)
				}
				names[tc.ID] = tc.Name
				c.Parts = append(c.Parts, part{FunctionCall: &functionCall{Name: tc.Name, Args: args}})
			}
		default:
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] has role %q", i, m.Role)
		}
		if len(c.Parts) == 0 {
			continue
		}
		if n := len(out.Contents); n > 0 && out.Contents[n-1].Role == c.Role {
			out.Contents[n-1].Parts = append(out.Contents[n-1].Parts, c.Parts...)
			continue
		}
		out.Contents = append(out.Contents, c)
	}
	if len(out.Contents) == 0 {
		return nil, provider.Invalid("messages", "the request has no user or assistant message; Gemini needs at least one")
	}
	return json.Marshal(out)
}

func sameRequest(t *testing.T, what string, r *provider.ChatRequest) {
	t.Helper()
	r2 := *r
	got, err1 := ToRequest(r)
	want, err2 := toRequestJSON(&r2)
	if (err1 == nil) != (err2 == nil) || string(got) != string(want) || (err1 != nil && err1.Error() != err2.Error() && !strings.HasPrefix(err2.Error(), "json: ")) {
		t.Fatalf("%s:\n got %s %v\nwant %s %v", what, got, err1, want, err2)
	}
}

func TestToRequestAsMarshalled(t *testing.T) {
	f, k, neg := 0.25, 5, -1e-7
	for i, r := range []*provider.ChatRequest{
		{Model: "m", Messages: []provider.Message{{Role: "user", Parts: []provider.Part{{Type: "text", Text: "hi"}}}}},
		{Model: "m", Messages: []provider.Message{{Role: "system"}, {Role: "user", Parts: []provider.Part{{Type: "text", Text: "hi"}}}}},
		{Model: "m", MaxTokens: 9, Temperature: &f, TopP: &neg, TopK: &k, Stop: []string{"a", "</s>"}, ReasoningEffort: "high", IncludeThoughts: true,
			ToolChoice:     &provider.ToolChoice{Mode: provider.ToolNamed, Name: "f"},
			ResponseFormat: &provider.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{ "type" : "object" , "additionalProperties": false, "a":"<b>" }`)},
			Tools:          []provider.Tool{{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object","$schema":"x"}`)}, {Name: "g"}},
			Messages: []provider.Message{
				{Role: "system", Parts: []provider.Part{{Type: "text", Text: "s1"}, {Type: "text", Text: "s2"}}},
				{Role: "user", Parts: []provider.Part{{Type: "text", Text: "look"}, {Type: "image", URL: "gs://x/y.png", MediaType: "image/png"}, {Type: "image", MediaType: "image/png", Data: "AAA"}}},
				{Role: "assistant", ToolCalls: []provider.ToolCall{{ID: "c1", Name: "f", Arguments: `{"a": [1, 2]}`}, {ID: "c2", Name: "f", Arguments: " "}}},
				{Role: "tool", ToolCallID: "c1", Parts: []provider.Part{{Type: "text", Text: `{"ok": "<"}`}}},
				{Role: "tool", ToolCallID: "c2", IsError: true, Parts: []provider.Part{{Type: "text", Text: "bad"}}},
				{Role: "user"},
			}},
		{Model: "m", ThinkingBudget: 100, ResponseFormat: &provider.ResponseFormat{Type: "json_object"}, ToolChoice: &provider.ToolChoice{Mode: provider.ToolNone},
			Messages: []provider.Message{{Role: "assistant", Parts: []provider.Part{{Type: "text", Text: "a"}}}, {Role: "assistant", Parts: []provider.Part{{Type: "text", Text: "b"}}}}},
		{Model: "m", Messages: []provider.Message{{Role: "system"}}},
	} {
		sameRequest(t, fmt.Sprint(i), r)
	}
}

// ToRequest appends the bytes json.Marshal gave, for the neutral form of
// any OpenAI or Gemini client's request.
func FuzzToRequest(f *testing.F) {
	for _, glob := range []string{"testdata/*/*.openai.json", "testdata/*/*.gemini.json", "../openai/testdata/clients/*chat*.json", "../anthropic/testdata/*/*.openai.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := openai.ParseChatRequest(body); err == nil {
			sameRequest(t, string(body), r)
		}
		if r, err := ParseRequest("m", body, false); err == nil {
			sameRequest(t, string(body), r)
		}
	})
}
