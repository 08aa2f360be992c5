package openai

import "github.com/keygate/keygate/internal/provider"

var answerMessageFields = []string{"role", "content", "reasoning_content", "reasoning", "refusal", "tool_calls"}

// scanAnswerMessage reads a choice's message (a complete answer's) as
// json.Unmarshal reads it into an upstreamMessage, tool calls included.
func scanAnswerMessage(b []byte) (*upstreamMessage, bool) {
	if provider.IsNull(b) {
		return nil, true
	}
	m := &upstreamMessage{}
	ok := provider.Fields(b, answerMessageFields, func(i int, v []byte) bool {
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
	return m, ok
}
