package usage

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/keygate/keygate/internal/jsonscan"
)

// responsesBody is a Responses API answer in the field order OpenAI's API
// reference shows, with a client's metadata that happens to say "usage".
const responsesBody = `{
  "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
  "object": "response",
  "created_at": 1741476542,
  "status": "completed",
  "error": null,
  "incomplete_details": null,
  "instructions": null,
  "max_output_tokens": null,
  "model": "gpt-4.1-2025-04-14",
  "output": [
    {
      "type": "message",
      "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
      "status": "completed",
      "role": "assistant",
      "content": [{"type": "output_text", "text": "In a peaceful grove beneath a silver moon...", "annotations": []}]
    }
  ],
  "parallel_tool_calls": true,
  "previous_response_id": null,
  "reasoning": {"effort": null, "summary": null},
  "store": true,
  "temperature": 1.0,
  "text": {"format": {"type": "text"}},
  "tool_choice": "auto",
  "tools": [],
  "top_p": 1.0,
  "truncation": "disabled",
  "usage": {
    "input_tokens": 36,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 87,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 123
  },
  "user": null,
  "metadata": {"usage": "x"}
}`

func TestFromJSON(t *testing.T) {
	cases := map[string]struct {
		body   string
		want   Usage
		wantOK bool
	}{
		"chat":               {`{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}`, Usage{InputTokens: 12, OutputTokens: 34}, true},
		"embeddings":         {`{"data":[],"usage":{"prompt_tokens":7,"total_tokens":7}}`, Usage{InputTokens: 7}, true},
		"responses api":      {`{"object":"response","usage":{"input_tokens":5,"output_tokens":9,"total_tokens":14}}`, Usage{InputTokens: 5, OutputTokens: 9}, true},
		"stream chunk":       {`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, Usage{InputTokens: 1, OutputTokens: 2}, true},
		"null usage":         {`{"choices":[{"delta":{}}],"usage":null}`, Usage{}, false},
		"no usage":           {`{"choices":[]}`, Usage{}, false},
		"usage word in text": {`{"choices":[{"message":{"content":"the \"usage\" of words"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}`, Usage{InputTokens: 3, OutputTokens: 4}, true},
		"nested braces":      {`{"usage":{"prompt_tokens":2,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":1}}}`, Usage{InputTokens: 2, OutputTokens: 3, ReasoningTokens: 1}, true},
		"truncated":          {`{"usage":{"prompt_tokens":2,"comp`, Usage{}, false},
		"string with brace":  {`{"usage":{"prompt_tokens":2,"completion_tokens":3,"note":"}{"}}`, Usage{InputTokens: 2, OutputTokens: 3}, true},
		"not json":           {`usage`, Usage{}, false},
		// OpenAI's own Responses field order: usage, then user, then
		// metadata — whose values are the client's strings.
		"responses metadata after usage":  {responsesBody, Usage{InputTokens: 36, OutputTokens: 87}, true},
		"nested usage object after":       {`{"usage":{"prompt_tokens":3,"completion_tokens":4},"x":{"usage":{"prompt_tokens":0,"completion_tokens":0}}}`, Usage{InputTokens: 3, OutputTokens: 4}, true},
		"nested usage last, in an object": {`{"id":"x","meta":{"usage":{"prompt_tokens":9,"completion_tokens":9}}}`, Usage{}, false},
		"only a nested usage":             {`{"choices":[{"message":{"usage":{"prompt_tokens":9,"completion_tokens":9}}}]}`, Usage{}, false},
		"case variant is not usage":       {`{"Usage":{"prompt_tokens":9,"completion_tokens":9}}`, Usage{}, false},
		"escaped top-level key":           {`{"\u0075sage":{"prompt_tokens":2,"completion_tokens":5},"m\u00e9ta":{"usage":"x"}}`, Usage{InputTokens: 2, OutputTokens: 5}, true},
		"duplicate: the last wins":        {`{"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"prompt_tokens":7,"completion_tokens":8}}`, Usage{InputTokens: 7, OutputTokens: 8}, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := FromJSON([]byte(c.body))
			if ok != c.wantOK || got != c.want {
				t.Fatalf("FromJSON = %+v, %v; want %+v, %v", got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestCost(t *testing.T) {
	cases := map[string]struct {
		u    Usage
		p    Prices
		mult float64
		want float64
	}{
		"gpt-4o-mini 1M in":     {Usage{InputTokens: 1_000_000}, Prices{InputPerMTok: 0.15, OutputPerMTok: 0.60}, 0, 0.15},
		"in and out":            {Usage{InputTokens: 1000, OutputTokens: 500}, Prices{InputPerMTok: 0.15, OutputPerMTok: 0.60}, 1, 0.00045},
		"multiplier":            {Usage{InputTokens: 1000, OutputTokens: 500}, Prices{InputPerMTok: 0.15, OutputPerMTok: 0.60}, 2, 0.0009},
		"free model":            {Usage{InputTokens: 1000, OutputTokens: 500}, Prices{}, 1, 0},
		"zero usage":            {Usage{}, Prices{InputPerMTok: 5, OutputPerMTok: 15}, 1, 0},
		"rounding is stable":    {Usage{InputTokens: 1, OutputTokens: 1}, Prices{InputPerMTok: 0.15, OutputPerMTok: 0.60}, 1, 0.00000075},
		"expensive output only": {Usage{OutputTokens: 2_000_000}, Prices{InputPerMTok: 3, OutputPerMTok: 15}, 1, 30},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Cost(c.u, c.p, c.mult); got != c.want {
				t.Fatalf("Cost = %v, want %v", got, c.want)
			}
		})
	}
}

func TestEstimateTokens(t *testing.T) {
	for n, want := range map[int]int{0: 0, -3: 0, 1: 1, 4: 1, 5: 2, 400: 100} {
		if got := EstimateTokens(n); got != want {
			t.Errorf("EstimateTokens(%d) = %d, want %d", n, got, want)
		}
	}
}

func FuzzFromJSON(f *testing.F) {
	f.Add([]byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	f.Add([]byte(`{"usage":{"a":"\"}"}`))
	f.Add([]byte(`"usage":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, ok := FromJSON(b)
		if !ok && u != (Usage{}) {
			t.Fatalf("not ok but usage %+v", u)
		}
	})
}

func BenchmarkFromJSON(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := FromJSON(body); !ok {
			b.Fatal("no usage")
		}
	}
}

// usageNullChunk is an OpenAI stream chunk of a call that asked for usage:
// every chunk but the last ends with "usage":null.
const usageNullChunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}`

// A chunk ending in "usage":null has no usage, read without walking the
// chunk (the relay reads every chunk that names usage).
func TestFromJSONUsageNull(t *testing.T) {
	for _, b := range []string{usageNullChunk, `{"usage":{"prompt_tokens":9},"usage":null}`, `{"usage": null }` + "\n"} {
		if u, ok := FromJSON([]byte(b)); ok || u != (Usage{}) {
			t.Errorf("FromJSON(%s) = %+v, %v; want no usage", b, u, ok)
		}
	}
	if u, ok := FromJSON([]byte(`{"a":{"usage":null},"usage":{"prompt_tokens":4}}`)); !ok || u.InputTokens != 4 {
		t.Errorf("a nested null hid the top-level usage: %+v, %v", u, ok)
	}
}

// obfuscatedChunk is a stream chunk as OpenAI writes it now: a random
// "obfuscation" padding after "usage":null.
const obfuscatedChunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null,"obfuscation":"k3Xb9"}`

// Plain string members after the usage (OpenAI's obfuscation padding) are
// read on the fast path, as the end of the top-level object; anything else
// after it is left to the full walk.
func TestFromJSONUsageBeforePlainMembers(t *testing.T) {
	cases := map[string]struct {
		body   string
		u      Usage
		ok     bool
		walked bool // not read by lastUsage
	}{
		"null then obfuscation":  {obfuscatedChunk, Usage{}, false, false},
		"usage then obfuscation": {`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2},"obfuscation":"x","b":"c"}`, Usage{InputTokens: 3, OutputTokens: 2}, true, false},
		"escaped value after":    {`{"usage":{"prompt_tokens":3},"o":"a\"b"}`, Usage{InputTokens: 3}, true, true},
		"object after":           {`{"usage":{"prompt_tokens":3},"o":{}}`, Usage{InputTokens: 3}, true, true},
		"nested usage":           {`{"a":{"usage":null,"o":"x"},"usage":{"prompt_tokens":4}}`, Usage{InputTokens: 4}, true, false},
	}
	for name, c := range cases {
		if u, ok := FromJSON([]byte(c.body)); u != c.u || ok != c.ok {
			t.Errorf("%s: FromJSON = %+v, %v; want %+v, %v", name, u, ok, c.u, c.ok)
		}
		if _, _, known := lastUsage([]byte(c.body)); known == c.walked {
			t.Errorf("%s: read on the fast path %v, want %v", name, known, !c.walked)
		}
	}
}

func BenchmarkFromJSONObfuscated(b *testing.B) {
	body := []byte(obfuscatedChunk)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := FromJSON(body); ok {
			b.Fatal("usage")
		}
	}
}

func BenchmarkFromJSONUsageNull(b *testing.B) {
	body := []byte(usageNullChunk)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := FromJSON(body); ok {
			b.Fatal("usage")
		}
	}
}

func BenchmarkCost(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Cost(Usage{InputTokens: 1234, OutputTokens: 567}, Prices{InputPerMTok: 0.15, OutputPerMTok: 0.6}, 1)
	}
}

// What FromJSON reads is what a strict, case-exact reader of the top-level
// object reads (the fast path for bodies ending in usage included).
func FuzzFromJSONTopLevel(f *testing.F) {
	f.Add([]byte(responsesBody))
	f.Add([]byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	f.Add([]byte(`{"a":{"usage":{"prompt_tokens":1}},"usage":{"prompt_tokens":3}}`))
	f.Add([]byte(`{"x":"\"usage\":{\"prompt_tokens\":5}","usage":null}`))
	f.Add([]byte(`{"m":{"usage":{"prompt_tokens":9,"completion_tokens":9}}}`))
	f.Add([]byte(`{"usage":{"prompt_tokens":9},"usage":null}`))
	f.Add([]byte(`{"a":{"usage":null},"usage":{"prompt_tokens":4}}`))
	f.Add([]byte(`{"a":{"b":1,"usage":null}}`))
	f.Add([]byte(`{"choices":[],"usage":nul}`))
	f.Add([]byte(usageNullChunk))
	f.Add([]byte(obfuscatedChunk))
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2},"obfuscation":"a1" , "b":"c" }`))
	f.Add([]byte(`{"usage":{"prompt_tokens":3},"usage":null,"obfuscation":"x"}`))
	f.Add([]byte(`{"a":{"usage":null,"o":"x"},"usage":{"prompt_tokens":4}}`))
	f.Add([]byte(`{"usage":null,"o":"x\"}"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			return
		}
		want, wantOK := fromObject(top["usage"])
		got, ok := FromJSON(b)
		if ok != wantOK || got != want {
			t.Fatalf("FromJSON(%q) = %+v, %v; the top-level usage reads %+v, %v", b, got, ok, want, wantOK)
		}
	})
}

// FromAnswer reads what FromJSON reads from a valid answer, and reports
// validity as jsonscan.Valid does; an invalid answer has no usage.
func TestFromAnswer(t *testing.T) {
	for _, b := range []string{responsesBody, usageNullChunk,
		`{"id":"x","usage":{"prompt_tokens":8,"completion_tokens":8,"total_tokens":16},"service_tier":"default","system_fingerprint":"fp"}`,
		`{"\u0075sage":{"prompt_tokens":2,"completion_tokens":5},"m\u00e9ta":{"usage":"x"}}`,
		`{"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"prompt_tokens":7,"completion_tokens":8}}`,
		`{"a":{"usage":{"prompt_tokens":1}}}`, `[{"usage":{"prompt_tokens":1}}]`, `{}`, ` {"usage":{"prompt_tokens":3}} ` + "\n",
		`<html>usage</html>`, `{"usage":{"prompt_tokens":2}}x`, `{"usage":{"prompt_tokens":2}`, `{"usage":{"prompt_tokens":2},"a":[1,}`, ``,
	} {
		checkFromAnswer(t, []byte(b))
	}
}

func checkFromAnswer(t *testing.T, b []byte) {
	t.Helper()
	u, ok, valid := FromAnswer(b)
	if want := jsonscan.Valid(b); valid != want {
		t.Fatalf("FromAnswer(%q) valid = %v; jsonscan.Valid says %v", b, valid, want)
	}
	if !valid {
		if ok || u != (Usage{}) {
			t.Fatalf("FromAnswer(%q) = %+v, %v on an invalid answer", b, u, ok)
		}
		return
	}
	if wu, wok := FromJSON(b); u != wu || ok != wok {
		t.Fatalf("FromAnswer(%q) = %+v, %v; FromJSON reads %+v, %v", b, u, ok, wu, wok)
	}
}

func FuzzFromAnswer(f *testing.F) {
	f.Add([]byte(responsesBody))
	f.Add([]byte(usageNullChunk))
	f.Add([]byte(`{"usage":{"prompt_tokens":9},"usage":null}`))
	f.Add([]byte(`{"x":"\"usage\":{\"prompt_tokens\":5}","usage":null}`))
	f.Add([]byte(`{"\u0075sage":{"prompt_tokens":2}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(checkFromAnswer)
}

func BenchmarkFromAnswer(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-a17f7fdaaf502","object":"chat.completion","created":1796138567,"model":"mock-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":8,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_keygate_mock"}`)
	b.Run("valid+fromjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !jsonscan.Valid(body) {
				b.Fatal("invalid")
			}
			if _, ok := FromJSON(body); !ok {
				b.Fatal("no usage")
			}
		}
	})
	b.Run("fromanswer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, valid := FromAnswer(body); !ok || !valid {
				b.Fatal("no usage")
			}
		}
	})
}

// fromValid reads every valid usage object as fromObject does.
func FuzzFromValid(f *testing.F) {
	for _, s := range []string{
		`{"prompt_tokens":8,"completion_tokens":8,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":2,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":3}}`,
		`{"input_tokens":5,"output_tokens":7,"cache_read_input_tokens":2,"cache_creation_input_tokens":1}`,
		`{"prompt_tokens":1.5}`, `{"pro\u006dpt_tokens":3}`, `{"prompt_tokens_details":{"cached\u005ftokens":1},"prompt_tokens":4}`,
		`{"prompt_tokens":null,"x":[{"a":"}"},"\"]"]}`, `{}`, `{ "prompt_tokens" : 2 , "prompt_tokens":-3 }`, `{"input_tokens_details":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		got, gotOK := fromValid(b)
		want, wantOK := fromObject(b)
		if got != want || gotOK != wantOK {
			t.Fatalf("fromValid(%q) = %+v, %v; fromObject reads %+v, %v", b, got, gotOK, want, wantOK)
		}
	})
}

// details steps over a *_tokens_details object the walk before it
// validated; it reads what jsonscan.Members with detail reads, for every
// valid object.
func FuzzDetailsAsMembers(f *testing.F) {
	f.Add([]byte(`{"cached_tokens":3,"audio_tokens":0}`))
	f.Add([]byte(`{"reasoning_tokens":7,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"x":[1,{"a":"}"}],"cached_tokens":null}`))
	f.Add([]byte(` { "cache_write_tokens" : 2 , "cached_tokens":1.5 } `))
	f.Add([]byte(`{"cached_tokens":1,"cached_tokens":4,"cached_tokens":2}`))
	f.Add([]byte(`{"cached\u005ftokens":9,"s":"a\"b"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b) // a value as Object gives it to member
		if !jsonscan.Valid(b) || len(b) == 0 || b[0] != '{' {
			return
		}
		var got, want wire
		gotOK := got.details(b)
		_, wantOK := jsonscan.Members(b, 0, want.detail)
		if gotOK != wantOK || got != want {
			t.Fatalf("details(%s) = %+v, %v; Members with detail = %+v, %v", b, got, gotOK, want, wantOK)
		}
	})
}

// BenchmarkFromJSONStreamUsage reads the usage chunk that ends the mock
// upstream's streams (and OpenAI's): usage with both details objects.
func BenchmarkFromJSONStreamUsage(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock-gpt","service_tier":"default","system_fingerprint":"fp_mock","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if u, ok := FromJSON(body); !ok || u.OutputTokens != 12 {
			b.Fatal("no usage")
		}
	}
}
