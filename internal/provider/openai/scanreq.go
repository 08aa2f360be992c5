package openai

import (
	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
)

// The members of chatRequest, in its field order.
var requestFields = []string{"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
	"stop", "tools", "tool_choice", "parallel_tool_calls", "response_format", "stream", "stream_options", "user",
	"n", "logprobs", "presence_penalty", "frequency_penalty", "reasoning_effort"}

// scanRequest reads a chat completions request with jsonscan into what
// json.Unmarshal gives in a chatRequest, and the members ExtraMembers
// names, in one pass (the hot path of every converted call). It is not ok
// for whatever it cannot read as encoding/json does — a member of
// chatRequest named twice or in another case, a value of another kind, a
// null array element, a name with a non-ASCII byte, trailing bytes — and
// the caller then reads body with encoding/json.
func scanRequest(body []byte) (in chatRequest, extra []string, ok bool) {
	ex := provider.Extra{Known: knownChatMember}
	start := jsonscan.Space(body, 0)
	end, ok := provider.FieldsOther(body[start:], requestFields, ex.Add, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &in.Model)
		case 1:
			if provider.IsNull(v) {
				return true
			}
			in.Messages = []chatMessage{}
			return provider.ScanArray(v, func(e []byte) bool {
				m, ok := scanMessage(e)
				in.Messages = append(in.Messages, m)
				return ok
			})
		case 2:
			return provider.ScanIntPtr(v, &in.MaxTokens)
		case 3:
			return provider.ScanIntPtr(v, &in.MaxCompletionTokens)
		case 4:
			return provider.ScanFloatPtr(v, &in.Temperature)
		case 5:
			return provider.ScanFloatPtr(v, &in.TopP)
		case 6:
			return provider.ScanRaw(v, &in.Stop)
		case 7:
			if provider.IsNull(v) {
				return true
			}
			in.Tools = []chatTool{}
			return provider.ScanArray(v, func(e []byte) bool {
				t, ok := scanTool(e)
				in.Tools = append(in.Tools, t)
				return ok
			})
		case 8:
			return provider.ScanRaw(v, &in.ToolChoice)
		case 9:
			return provider.ScanBoolPtr(v, &in.ParallelToolCalls)
		case 10:
			if provider.IsNull(v) {
				return true
			}
			in.ResponseFormat = &responseFormat{}
			return scanResponseFormat(v, in.ResponseFormat)
		case 11:
			return provider.ScanBool(v, &in.Stream)
		case 12:
			if provider.IsNull(v) {
				return true
			}
			in.StreamOptions = &streamOptions{}
			return provider.Fields(v, []string{"include_usage"}, func(_ int, v []byte) bool {
				return provider.ScanBool(v, &in.StreamOptions.IncludeUsage)
			})
		case 13:
			return provider.ScanString(v, &in.User)
		case 14:
			return provider.ScanIntPtr(v, &in.N)
		case 15:
			return provider.ScanBoolPtr(v, &in.Logprobs)
		case 16:
			return provider.ScanFloatPtr(v, &in.PresencePenalty)
		case 17:
			return provider.ScanFloatPtr(v, &in.FrequencyPenalty)
		case 18:
			return provider.ScanString(v, &in.ReasoningEffort)
		}
		return false
	})
	if !ok || jsonscan.Space(body, start+end) != len(body) {
		return chatRequest{}, nil, false
	}
	return in, ex.Names(), true
}

var messageFields = []string{"role", "content", "tool_calls", "tool_call_id", "name"}

func scanMessage(b []byte) (m chatMessage, ok bool) {
	ok = provider.Fields(b, messageFields, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &m.Role)
		case 1:
			return provider.ScanRaw(v, &m.Content)
		case 2:
			if provider.IsNull(v) {
				return true
			}
			m.ToolCalls = []chatToolCall{}
			return provider.ScanArray(v, func(e []byte) bool {
				tc, ok := scanToolCall(e)
				m.ToolCalls = append(m.ToolCalls, tc)
				return ok
			})
		case 3:
			return provider.ScanString(v, &m.ToolCallID)
		case 4:
			return provider.ScanString(v, &m.Name)
		}
		return false
	})
	return m, ok
}

var (
	toolCallFields = []string{"index", "id", "type", "function"}
	functionFields = []string{"name", "arguments"}
)

func scanToolCall(b []byte) (tc chatToolCall, ok bool) {
	ok = provider.Fields(b, toolCallFields, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanIntPtr(v, &tc.Index)
		case 1:
			return provider.ScanString(v, &tc.ID)
		case 2:
			return provider.ScanString(v, &tc.Type)
		case 3:
			if provider.IsNull(v) {
				return true
			}
			return provider.Fields(v, functionFields, func(i int, v []byte) bool {
				if i == 0 {
					return provider.ScanString(v, &tc.Function.Name)
				}
				return provider.ScanString(v, &tc.Function.Arguments)
			})
		}
		return false
	})
	return tc, ok
}

var (
	toolFields     = []string{"type", "function"}
	toolFuncFields = []string{"name", "description", "parameters", "strict"}
)

func scanTool(b []byte) (t chatTool, ok bool) {
	ok = provider.Fields(b, toolFields, func(i int, v []byte) bool {
		if i == 0 {
			return provider.ScanString(v, &t.Type)
		}
		if provider.IsNull(v) {
			return true
		}
		return provider.Fields(v, toolFuncFields, func(i int, v []byte) bool {
			f := &t.Function
			switch i {
			case 0:
				return provider.ScanString(v, &f.Name)
			case 1:
				return provider.ScanString(v, &f.Description)
			case 2:
				return provider.ScanRaw(v, &f.Parameters)
			}
			return provider.ScanBoolPtr(v, &f.Strict)
		})
	})
	return t, ok
}

var (
	formatFields = []string{"type", "json_schema"}
	schemaFields = []string{"name", "schema", "strict"}
)

func scanResponseFormat(b []byte, rf *responseFormat) bool {
	return provider.Fields(b, formatFields, func(i int, v []byte) bool {
		if i == 0 {
			return provider.ScanString(v, &rf.Type)
		}
		if provider.IsNull(v) {
			rf.JSONSchema = nil
			return true
		}
		rf.JSONSchema = &jsonSchema{}
		return provider.Fields(v, schemaFields, func(i int, v []byte) bool {
			s := rf.JSONSchema
			switch i {
			case 0:
				return provider.ScanString(v, &s.Name)
			case 1:
				return provider.ScanRaw(v, &s.Schema)
			}
			return provider.ScanBool(v, &s.Strict)
		})
	})
}

var partFields = []string{"type", "text", "image_url"}

// scanParts reads an array of content parts as json.Unmarshal reads it
// into []chatPart; not ok for anything else.
func scanParts(raw []byte) ([]chatPart, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	parts := []chatPart{}
	ok := provider.ScanArray(raw, func(e []byte) bool {
		var p chatPart
		ok := provider.Fields(e, partFields, func(i int, v []byte) bool {
			switch i {
			case 0:
				return provider.ScanString(v, &p.Type)
			case 1:
				return provider.ScanString(v, &p.Text)
			}
			if provider.IsNull(v) {
				p.ImageURL = nil
				return true
			}
			p.ImageURL = &struct {
				URL    string `json:"url"`
				Detail string `json:"detail,omitempty"`
			}{}
			return provider.Fields(v, []string{"url", "detail"}, func(i int, v []byte) bool {
				if i == 0 {
					return provider.ScanString(v, &p.ImageURL.URL)
				}
				return provider.ScanString(v, &p.ImageURL.Detail)
			})
		})
		parts = append(parts, p)
		return ok
	})
	return parts, ok
}
