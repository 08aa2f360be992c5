package anthropic

import (
	"encoding/json"

	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
)

// The members of inRequest, in its field order.
var inFields = []string{"model", "max_tokens", "system", "messages", "temperature", "top_p", "top_k",
	"stop_sequences", "stream", "tools", "tool_choice", "metadata", "thinking", "output_config"}

// scanRequest reads a Messages request with jsonscan into what
// json.Unmarshal gives in an inRequest, and the members ExtraMembers
// names, in one pass (the hot path of a Claude client's converted call).
// It is not ok for whatever it cannot read as encoding/json does — a
// member of inRequest named twice or in another case, a value of another
// kind, a null array element, a name with a non-ASCII byte, trailing
// bytes — and the caller then reads body with encoding/json.
func scanRequest(body []byte) (in inRequest, extra []string, ok bool) {
	ex := provider.Extra{Known: knownMember}
	start := jsonscan.Space(body, 0)
	end, ok := provider.FieldsOther(body[start:], inFields, ex.Add, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &in.Model)
		case 1:
			return provider.ScanIntPtr(v, &in.MaxTokens)
		case 2:
			return provider.ScanRaw(v, &in.System)
		case 3:
			if provider.IsNull(v) {
				return true
			}
			in.Messages = []message{}
			return provider.ScanArray(v, func(e []byte) bool {
				var m message
				ok := provider.Fields(e, []string{"role", "content"}, func(i int, v []byte) bool {
					if i == 0 {
						return provider.ScanString(v, &m.Role)
					}
					return provider.ScanRaw(v, &m.Content)
				})
				in.Messages = append(in.Messages, m)
				return ok
			})
		case 4:
			return provider.ScanFloatPtr(v, &in.Temperature)
		case 5:
			return provider.ScanFloatPtr(v, &in.TopP)
		case 6:
			return provider.ScanIntPtr(v, &in.TopK)
		case 7:
			return provider.ScanStrings(v, &in.StopSequences)
		case 8:
			return provider.ScanBool(v, &in.Stream)
		case 9:
			if provider.IsNull(v) {
				return true
			}
			in.Tools = []tool{}
			return provider.ScanArray(v, func(e []byte) bool {
				var t tool
				ok := provider.Fields(e, []string{"type", "name", "description", "input_schema"}, func(i int, v []byte) bool {
					if i == 3 {
						return provider.ScanRaw(v, &t.InputSchema)
					}
					return provider.ScanString(v, [...]*string{&t.Type, &t.Name, &t.Description}[i])
				})
				in.Tools = append(in.Tools, t)
				return ok
			})
		case 10:
			if provider.IsNull(v) {
				return true
			}
			tc := &toolChoice{}
			in.ToolChoice = tc
			return provider.Fields(v, []string{"type", "name", "disable_parallel_tool_use"}, func(i int, v []byte) bool {
				if i == 2 {
					return provider.ScanBoolPtr(v, &tc.DisableParallelToolUse)
				}
				return provider.ScanString(v, [...]*string{&tc.Type, &tc.Name}[i])
			})
		case 11:
			if provider.IsNull(v) {
				return true
			}
			in.Metadata = &metadata{}
			return provider.Fields(v, []string{"user_id"}, func(_ int, v []byte) bool {
				return provider.ScanString(v, &in.Metadata.UserID)
			})
		case 12:
			if provider.IsNull(v) {
				return true
			}
			in.Thinking = &struct {
				Type         string `json:"type"`
				BudgetTokens int    `json:"budget_tokens"`
			}{}
			return provider.Fields(v, []string{"type", "budget_tokens"}, func(i int, v []byte) bool {
				if i == 0 {
					return provider.ScanString(v, &in.Thinking.Type)
				}
				return provider.ScanInt(v, &in.Thinking.BudgetTokens)
			})
		case 13:
			if provider.IsNull(v) {
				return true
			}
			oc := &outputConfig{}
			in.OutputConfig = oc
			return provider.Fields(v, []string{"format", "effort"}, func(i int, v []byte) bool {
				if i == 1 {
					return provider.ScanString(v, &oc.Effort)
				}
				if provider.IsNull(v) {
					oc.Format = nil
					return true
				}
				oc.Format = &struct {
					Type   string          `json:"type"`
					Schema json.RawMessage `json:"schema,omitempty"`
				}{}
				return provider.Fields(v, []string{"type", "schema"}, func(i int, v []byte) bool {
					if i == 0 {
						return provider.ScanString(v, &oc.Format.Type)
					}
					return provider.ScanRaw(v, &oc.Format.Schema)
				})
			})
		}
		return false
	})
	if !ok || jsonscan.Space(body, start+end) != len(body) {
		return inRequest{}, nil, false
	}
	return in, ex.Names(), true
}

// decodeContent reads a message's content (or a tool result's, or the
// system prompt) as encoding/json reads it first into a string — null
// included, which leaves the string empty — and else into []block; ok is
// false when it is neither.
func decodeContent(raw []byte) (s string, blocks []block, isStr, ok bool) {
	if provider.IsNull(raw) {
		return "", nil, true, true
	}
	if v, ok := jsonscan.String(raw); ok { // raw is one valid JSON value
		return string(v), nil, true, true
	}
	if len(raw) > 0 && raw[0] == '[' {
		if b, ok := scanBlocks(raw); ok {
			return "", b, false, true
		}
	}
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, true, true
	}
	if json.Unmarshal(raw, &blocks) == nil {
		return "", blocks, false, true
	}
	return "", nil, false, false
}
