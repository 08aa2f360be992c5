package openai

import "testing"

// mockAnswerBody is the built-in mock's answer to `keygate bench`'s chat call.
const mockAnswerBody = `{"id":"chatcmpl-mock-000000000001","object":"chat.completion","created":1764547200,"model":"mock-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_keygate_mock"}
`

// BenchmarkParseResponse reads a complete answer, as a Claude client's call on an
// OpenAI channel does (issue 20's converted messages path).
func BenchmarkParseResponse(b *testing.B) {
	body := []byte(mockAnswerBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}
