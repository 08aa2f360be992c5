package usage

import "testing"

// GeneratedBytes counts every generated text of each provider's shape,
// whatever the spacing. The old estimator counted only `"content":"` bytes:
// 0 for reasoning, tool calls and any spaced JSON.
func TestGeneratedBytes(t *testing.T) {
	cases := map[string]struct {
		body string
		want int
	}{
		"chat content":           {`{"choices":[{"delta":{"content":"hello"}}]}`, 5},
		"spaced":                 {`{ "choices" : [ { "delta" : { "content" : "hello" } } ] }`, 5},
		"reasoning_content":      {`{"choices":[{"delta":{"reasoning_content":"think"}}]}`, 5},
		"reasoning":              {`{"choices":[{"delta":{"reasoning":"think"}}]}`, 5},
		"tool call arguments":    {`{"choices":[{"delta":{"content":null,"tool_calls":[{"function":{"name":"f","arguments":"{\"x\":1}"}}]}}]}`, 9},
		"chat answer":            {`{"choices":[{"message":{"role":"assistant","content":"hi","refusal":null,"tool_calls":[{"function":{"arguments":"{}"}}]}}],"model":"m"}`, 4},
		"completions":            {`{"choices":[{"text":"abc","index":0}]}`, 3},
		"anthropic text delta":   {`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abcd"}}`, 4},
		"anthropic thinking":     {`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}`, 3},
		"anthropic tool json":    {`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}`, 6},
		"anthropic message":      {`{"content":[{"type":"text","text":"hi"},{"type":"tool_use","name":"f","input":{ "a" : [1, 2] }}]}`, 2 + len(`{"a":[1,2]}`)},
		"gemini":                 {`{"candidates":[{"content":{"parts":[{"text":"ab","thought":true},{"text":"cd"},{"functionCall":{"name":"f","args":{"q": "x y"}}}]}}]}`, 4 + len(`{"q":"x y"}`)},
		"gemini array":           {`[{"candidates":[{"content":{"parts":[{"text":"ab"}]}}]},{"candidates":[{"content":{"parts":[{"text":"cd"}]}}]}]`, 4},
		"responses delta":        {`{"type":"response.output_text.delta","item_id":"x","delta":"hello"}`, 5},
		"responses args delta":   {`{"type":"response.function_call_arguments.delta","delta":"{\"a\""}`, 6},
		"responses done repeats": {`{"type":"response.output_text.done","text":"hello"}`, 0},
		"responses completed":    {`{"type":"response.completed","response":{"output":[{"content":[{"text":"hello"}]}]}}`, 0},
		"responses answer":       {`{"object":"response","text":{"format":{"type":"text"}},"output":[{"type":"reasoning","summary":[{"text":"ab"}]},{"type":"message","content":[{"type":"output_text","text":"cde"}]},{"type":"function_call","arguments":"{}"}]}`, 7},
		"embeddings":             {`{"data":[{"embedding":[0.1,0.2]}]}`, 0},
		"not json":               {`<html>`, 0},
		"empty":                  {``, 0},
		"usage chunk":            {`{"choices":[],"usage":{"prompt_tokens":1}}`, 0},
	}
	for name, c := range cases {
		if got := GeneratedBytes([]byte(c.body)); got != c.want {
			t.Errorf("%s: GeneratedBytes = %d, want %d", name, got, c.want)
		}
	}
}

// GeneratedBytes never fails on what it cannot read: any bytes give a
// count, never a panic.
func FuzzGeneratedBytes(f *testing.F) {
	for _, s := range []string{`{"content":"a\"b"}`, `{"args":{"a":[1,`, `"\\`, `{"type":"response.x","delta":"ab"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := GeneratedBytes(b); n < 0 || n > len(b) {
			t.Fatalf("%q: %d bytes", b, n)
		}
	})
}
