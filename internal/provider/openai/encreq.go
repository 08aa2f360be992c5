package openai

import (
	"errors"
	"strconv"

	"github.com/keygate/keygate/internal/provider"
)

// errEncode is a request value json.Marshal refuses (a float that is not
// finite, raw JSON that is not valid).
var errEncode = errors.New("encode chat completions request: a value is not valid JSON")

// appendRequest appends in as json.Marshal writes a chatRequest
// (TestToChatRequestAsMarshalled, FuzzToChatRequest).
func appendRequest(dst []byte, in *chatRequest) ([]byte, error) {
	ok := true
	raw := func(name string, v []byte) {
		if ok && len(v) > 0 {
			dst = append(dst, name...)
			dst, ok = provider.AppendCompact(dst, v)
		}
	}
	float := func(name string, v *float64) {
		if ok && v != nil {
			dst = append(dst, name...)
			dst, ok = provider.AppendFloat(dst, *v)
		}
	}
	intp := func(name string, v *int) {
		if v != nil {
			dst = append(dst, name...)
			dst = strconv.AppendInt(dst, int64(*v), 10)
		}
	}
	boolp := func(name string, v *bool) {
		if v != nil {
			dst = append(dst, name...)
			dst = strconv.AppendBool(dst, *v)
		}
	}
	str := func(name, v string) {
		if v != "" {
			dst = append(dst, name...)
			dst = provider.AppendString(dst, v)
		}
	}
	dst = append(dst, `{"model":`...)
	dst = provider.AppendString(dst, in.Model)
	dst = append(dst, `,"messages":`...)
	if in.Messages == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range in.Messages {
			m := &in.Messages[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"role":`...)
			dst = provider.AppendString(dst, m.Role)
			raw(`,"content":`, m.Content)
			if len(m.ToolCalls) > 0 {
				dst = append(dst, `,"tool_calls":[`...)
				for j := range m.ToolCalls {
					if j > 0 {
						dst = append(dst, ',')
					}
					dst = appendToolCall(dst, &m.ToolCalls[j])
				}
				dst = append(dst, ']')
			}
			str(`,"tool_call_id":`, m.ToolCallID)
			str(`,"name":`, m.Name)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	intp(`,"max_tokens":`, in.MaxTokens)
	intp(`,"max_completion_tokens":`, in.MaxCompletionTokens)
	float(`,"temperature":`, in.Temperature)
	float(`,"top_p":`, in.TopP)
	raw(`,"stop":`, in.Stop)
	if len(in.Tools) > 0 {
		dst = append(dst, `,"tools":[`...)
		for i := range in.Tools {
			t := &in.Tools[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":`...)
			dst = provider.AppendString(dst, t.Type)
			dst = append(dst, `,"function":{"name":`...)
			dst = provider.AppendString(dst, t.Function.Name)
			str(`,"description":`, t.Function.Description)
			raw(`,"parameters":`, t.Function.Parameters)
			boolp(`,"strict":`, t.Function.Strict)
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	raw(`,"tool_choice":`, in.ToolChoice)
	boolp(`,"parallel_tool_calls":`, in.ParallelToolCalls)
	if rf := in.ResponseFormat; rf != nil {
		dst = append(dst, `,"response_format":{"type":`...)
		dst = provider.AppendString(dst, rf.Type)
		if s := rf.JSONSchema; s != nil {
			dst = append(dst, `,"json_schema":{`...)
			n := len(dst)
			if s.Name != "" {
				dst = append(dst, `"name":`...)
				dst = provider.AppendString(dst, s.Name)
			}
			if len(s.Schema) > 0 {
				dst = comma(dst, n)
				raw(`"schema":`, s.Schema)
			}
			if s.Strict {
				dst = comma(dst, n)
				dst = append(dst, `"strict":true`...)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	if in.Stream {
		dst = append(dst, `,"stream":true`...)
	}
	if so := in.StreamOptions; so != nil {
		dst = append(dst, `,"stream_options":{"include_usage":`...)
		dst = strconv.AppendBool(dst, so.IncludeUsage)
		dst = append(dst, '}')
	}
	str(`,"user":`, in.User)
	intp(`,"n":`, in.N)
	boolp(`,"logprobs":`, in.Logprobs)
	float(`,"presence_penalty":`, in.PresencePenalty)
	float(`,"frequency_penalty":`, in.FrequencyPenalty)
	str(`,"reasoning_effort":`, in.ReasoningEffort)
	if !ok {
		return nil, errEncode
	}
	return append(dst, '}'), nil
}

// appendToolCall appends tc as json.Marshal writes a chatToolCall.
func appendToolCall(dst []byte, tc *chatToolCall) []byte {
	dst = append(dst, '{')
	n := len(dst)
	if tc.Index != nil {
		dst = append(dst, `"index":`...)
		dst = strconv.AppendInt(dst, int64(*tc.Index), 10)
	}
	if tc.ID != "" {
		dst = comma(dst, n)
		dst = append(dst, `"id":`...)
		dst = provider.AppendString(dst, tc.ID)
	}
	if tc.Type != "" {
		dst = comma(dst, n)
		dst = append(dst, `"type":`...)
		dst = provider.AppendString(dst, tc.Type)
	}
	dst = comma(dst, n)
	dst = append(dst, `"function":{`...)
	if tc.Function.Name != "" {
		dst = append(dst, `"name":`...)
		dst = provider.AppendString(dst, tc.Function.Name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"arguments":`...)
	dst = provider.AppendString(dst, tc.Function.Arguments)
	return append(dst, "}}"...)
}
