package openai

import "github.com/keygate/keygate/internal/provider"

var answerMessageFields = []string{"role", "content", "reasoning_content", "reasoning", "refusal", "tool_calls"}

// scanAnswerMessage reads a choice's message (a complete answer's) at
// b[i] as json.Unmarshal reads it into an upstreamMessage, tool calls
// included, and returns its end.
func scanAnswerMessage(b []byte, i int) (*upstreamMessage, int, bool) {
	if end, ok := nullAt(b, i); ok {
		return nil, end, true
	}
	m := &upstreamMessage{}
	end, ok := provider.FieldsOther(b[i:], answerMessageFields, nil, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &m.Role)
		case 1:
			return provider.ScanStringPtr(v, &m.Content)
		case 2:
			return provider.ScanStringPtr(v, &m.ReasoningContent)
		case 3:
			return provider.ScanStringPtr(v, &m.Reasoning)
		case 4:
			return provider.ScanStringPtr(v, &m.Refusal)
		}
		if provider.IsNull(v) {
			return true
		}
		m.ToolCalls = []chatToolCall{}
		return provider.ScanArray(v, func(e []byte) bool {
			tc, ok := scanToolCall(e)
			m.ToolCalls = append(m.ToolCalls, tc)
			return ok
		})
	})
	return m, i + end, ok
}
