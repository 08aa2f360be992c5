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

// BenchmarkGeneratedBytes counts one typical event of each stream shape, the
// way the relay does for every event of a stream.
func BenchmarkGeneratedBytes(b *testing.B) {
	for name, ev := range map[string]string{
		"chat":      `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock-gpt","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"tok1 "},"logprobs":null,"finish_reason":null}]}`,
		"anthropic": `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok1 "}}`,
		"gemini":    `{"candidates":[{"content":{"parts":[{"text":"tok1 "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.0-flash","responseId":"abc"}`,
		"responses": `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"tok1 "}`,
	} {
		b.Run(name, func(b *testing.B) {
			p := []byte(ev)
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if GeneratedBytes(p) != 5 {
					b.Fatal("count")
				}
			}
		})
		b.Run(name+"/estimator", func(b *testing.B) {
			p := []byte(ev)
			b.SetBytes(int64(len(p)))
			var e Estimator
			for b.Loop() {
				if e.Count(p) != 5 {
					b.Fatal("count")
				}
			}
		})
	}
}

// An Estimator's count of each event of a stream is GeneratedBytes's,
// whatever the events before it: shared envelopes, envelopes that differ
// in one digit, other shapes in between, cut events.
func TestEstimatorCountsAsGeneratedBytes(t *testing.T) {
	chunk := func(id, content string) string {
		return `{"id":"` + id + `","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":null}]}`
	}
	events := []string{
		chunk("c1", "hello"), chunk("c1", "hello"), chunk("c1", "a longer piece of text"), chunk("c1", ""),
		chunk("c2", "x"), chunk("c1", `q\"uote`),
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"function":{"arguments":"{\"x\":1}"}}]}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1}}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"cut`,
		`{"type":"response.output_text.delta","sequence_number":4,"delta":"hello"}`,
		`{"type":"response.output_text.delta","sequence_number":5,"delta":"hi"}`,
		`{"type":"response.output_text.done","sequence_number":6,"text":"hellohi"}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abcd"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"q": "x y"}}}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"q": "x y z"}}}]}}]}`,
		``, `{`, chunk("c1", "again"),
	}
	var e Estimator
	for i, ev := range events {
		if got, want := e.Count([]byte(ev)), GeneratedBytes([]byte(ev)); got != want {
			t.Errorf("event %d %s: Count = %d, GeneratedBytes = %d", i, ev, got, want)
		}
	}
}

// Whatever event came before, Count gives GeneratedBytes.
func FuzzEstimator(f *testing.F) {
	f.Add([]byte(`{"type":"response.x","delta":"ab"}`), []byte(`{"type":"response.y","delta":"abc"}`))
	f.Add([]byte(`{"choices":[{"delta":{"content":"hello"}}]}`), []byte(`{"choices":[{"delta":{"content":"hel"}}]}`))
	f.Add([]byte(`{"args":{"a":[1,2]},"text":"x"}`), []byte(`{"args":{"a":[1,`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var e Estimator
		e.Count(a)
		if got, want := e.Count(b), GeneratedBytes(b); got != want {
			t.Fatalf("after %q, Count(%q) = %d, GeneratedBytes = %d", a, b, got, want)
		}
	})
}
