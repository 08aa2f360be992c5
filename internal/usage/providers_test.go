package usage_test

import (
	"math"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/usage"
)

// Each provider's documented usage objects, answers and streams, read the
// way every path of the gateway reads them and priced as the provider
// bills them: cache reads and writes at their own prices, reasoning as
// output (issue 12, item 5).
func TestProviderUsageIsBilledAsTheProviderBillsIt(t *testing.T) {
	claude := usage.Prices{InputPerMTok: 3, OutputPerMTok: 15, CachedInputPerMTok: 0.30, CacheWritePerMTok: 3.75}
	gpt := usage.Prices{InputPerMTok: 2.50, OutputPerMTok: 10, CachedInputPerMTok: 1.25}
	o3 := usage.Prices{InputPerMTok: 2, OutputPerMTok: 8, CachedInputPerMTok: 0.50}
	flash := usage.Prices{InputPerMTok: 0.30, OutputPerMTok: 2.50, CachedInputPerMTok: 0.075}
	deepseek := usage.Prices{InputPerMTok: 0.27, OutputPerMTok: 1.10, CachedInputPerMTok: 0.07}
	cases := map[string]struct {
		read   func() (usage.Usage, bool)
		prices usage.Prices
		want   usage.Usage
		cost   float64
	}{
		// Anthropic: input_tokens exclude the cache reads and writes.
		"anthropic: 1,000 cache-read tokens cost $0.0003, not $0.003": {
			read: anthropicMessage(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-0","content":[],"stop_reason":"end_turn","stop_sequence":null,` +
				`"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":0}}`),
			prices: claude, want: usage.Usage{InputTokens: 1000, CachedInputTokens: 1000}, cost: 0.0003},
		"anthropic message with cache read and write": {
			read: anthropicMessage(`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-0","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,` +
				`"usage":{"input_tokens":50,"cache_creation_input_tokens":2000,"cache_read_input_tokens":100000,"output_tokens":503}}`),
			prices: claude, want: usage.Usage{InputTokens: 102050, OutputTokens: 503, CachedInputTokens: 100000, CacheWriteTokens: 2000},
			cost: (50*3 + 100000*0.30 + 2000*3.75 + 503*15) / 1e6},
		"anthropic message, the usage read on the pass-through route": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"msg_01","type":"message","content":[],"usage":{"input_tokens":50,"cache_creation_input_tokens":2000,"cache_read_input_tokens":100000,"output_tokens":503}}`))
			},
			prices: claude, want: usage.Usage{InputTokens: 102050, OutputTokens: 503, CachedInputTokens: 100000, CacheWriteTokens: 2000},
			cost: (50*3 + 100000*0.30 + 2000*3.75 + 503*15) / 1e6},
		"anthropic stream: message_start, then cumulative message_delta": {
			read: stream(&anthropic.StreamDecoder{},
				`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-0","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":1}}}`,
				`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`,
				`{"type":"content_block_stop","index":0}`,
				`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}`,
				`{"type":"message_stop"}`),
			prices: claude, want: usage.Usage{InputTokens: 1025, OutputTokens: 15, CachedInputTokens: 1000},
			cost: (25*3 + 1000*0.30 + 15*15) / 1e6},
		"anthropic stream whose message_delta repeats the input counts": {
			read: stream(&anthropic.StreamDecoder{},
				`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-0","usage":{"input_tokens":25,"cache_creation_input_tokens":400,"cache_read_input_tokens":0,"output_tokens":1}}}`,
				`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":25,"cache_creation_input_tokens":400,"cache_read_input_tokens":0,"output_tokens":80}}`,
				`{"type":"message_stop"}`),
			prices: claude, want: usage.Usage{InputTokens: 425, OutputTokens: 80, CacheWriteTokens: 400},
			cost: (25*3 + 400*3.75 + 80*15) / 1e6},
		// OpenAI: prompt_tokens include the cached tokens, completion_tokens
		// the reasoning tokens.
		"openai chat completion with cached prompt tokens": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],` +
					`"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_1"}`))
			},
			prices: gpt, want: usage.Usage{InputTokens: 2006, OutputTokens: 300, CachedInputTokens: 1920},
			cost: (86*2.50 + 1920*1.25 + 300*10) / 1e6},
		"openai reasoning model, the stream's usage chunk": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"o3-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[],` +
					`"usage":{"prompt_tokens":75,"completion_tokens":1186,"total_tokens":1261,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":1024,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`))
			},
			prices: o3, want: usage.Usage{InputTokens: 75, OutputTokens: 1186, ReasoningTokens: 1024},
			cost: (75*2 + 1186*8) / 1e6},
		"openai chat answer converted for another client": {
			read: func() (usage.Usage, bool) {
				r, err := openai.ParseResponse([]byte(`{"id":"c","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],` +
					`"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}`))
				return r.Usage, err == nil
			},
			prices: gpt, want: usage.Usage{InputTokens: 2006, OutputTokens: 300, CachedInputTokens: 1920},
			cost: (86*2.50 + 1920*1.25 + 300*10) / 1e6},
		"openai chat stream converted for another client": {
			read: stream(&openai.StreamDecoder{},
				`{"id":"c","object":"chat.completion.chunk","model":"o3","choices":[{"index":0,"delta":{"role":"assistant","content":"x"},"finish_reason":null}],"usage":null}`,
				`{"id":"c","object":"chat.completion.chunk","model":"o3","choices":[],"usage":{"prompt_tokens":75,"completion_tokens":1186,"total_tokens":1261,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":1024}}}`,
				`[DONE]`),
			prices: o3, want: usage.Usage{InputTokens: 75, OutputTokens: 1186, CachedInputTokens: 64, ReasoningTokens: 1024},
			cost: (11*2 + 64*0.50 + 1186*8) / 1e6},
		"openai responses answer": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"resp_1","object":"response","status":"completed","model":"o3-2025-04-16","output":[],` +
					`"usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024},"output_tokens":500,"output_tokens_details":{"reasoning_tokens":320},"total_tokens":1700},"user":null,"metadata":{}}`))
			},
			prices: o3, want: usage.Usage{InputTokens: 1200, OutputTokens: 500, CachedInputTokens: 1024, ReasoningTokens: 320},
			cost: (176*2 + 1024*0.50 + 500*8) / 1e6},
		"openai responses stream: response.completed": {
			read: stream(&openai.ResponsesDecoder{},
				`{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","usage":null}}`,
				`{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}`,
				`{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024},"output_tokens":500,"output_tokens_details":{"reasoning_tokens":320},"total_tokens":1700},"metadata":{"usage":"x"}}}`),
			prices: o3, want: usage.Usage{InputTokens: 1200, OutputTokens: 500, CachedInputTokens: 1024, ReasoningTokens: 320},
			cost: (176*2 + 1024*0.50 + 500*8) / 1e6},
		"openai responses with cache writes": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"resp_2","object":"response","status":"completed","output":[],` +
					`"usage":{"input_tokens":3000,"input_tokens_details":{"cached_tokens":1000,"cache_write_tokens":1500},"output_tokens":10,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":3010}}`))
			},
			prices: usage.Prices{InputPerMTok: 2, OutputPerMTok: 8, CachedInputPerMTok: 0.5, CacheWritePerMTok: 2.5},
			want:   usage.Usage{InputTokens: 3000, OutputTokens: 10, CachedInputTokens: 1000, CacheWriteTokens: 1500},
			cost:   (500*2 + 1000*0.5 + 1500*2.5 + 10*8) / 1e6},
		// Proxies (LiteLLM) write OpenAI's shape with Anthropic's cache
		// members beside it; prompt_tokens include them today, and did not
		// in older versions (the cache counts then exceed prompt_tokens).
		"litellm: prompt_tokens include the cache members": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"object":"chat.completion","choices":[],"usage":{"total_tokens":103925,"prompt_tokens":98805,"completion_tokens":5120,` +
					`"prompt_tokens_details":{"cached_tokens":66360,"cache_creation_tokens":32435},"cache_read_input_tokens":66360,"completion_tokens_details":{"reasoning_tokens":1710},"cache_creation_input_tokens":32435}}`))
			},
			prices: claude, want: usage.Usage{InputTokens: 98805, OutputTokens: 5120, CachedInputTokens: 66360, CacheWriteTokens: 32435, ReasoningTokens: 1710},
			cost: (10*3 + 66360*0.30 + 32435*3.75 + 5120*15) / 1e6},
		"litellm, older: prompt_tokens without the cache members": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"object":"chat.completion","choices":[],"usage":{"completion_tokens":7,"prompt_tokens":194,"total_tokens":201,"cache_creation_input_tokens":9474,"cache_read_input_tokens":0}}`))
			},
			prices: claude, want: usage.Usage{InputTokens: 9668, OutputTokens: 7, CacheWriteTokens: 9474},
			cost: (194*3 + 9474*3.75 + 7*15) / 1e6},
		// DeepSeek: prompt_cache_hit_tokens are part of prompt_tokens.
		"deepseek cache hit": {
			read: func() (usage.Usage, bool) {
				return usage.FromJSON([]byte(`{"id":"d","object":"chat.completion","model":"deepseek-chat","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,"prompt_cache_hit_tokens":800,"prompt_cache_miss_tokens":200}}`))
			},
			prices: deepseek, want: usage.Usage{InputTokens: 1000, OutputTokens: 100, CachedInputTokens: 800},
			cost: (200*0.27 + 800*0.07 + 100*1.10) / 1e6},
		// Gemini: promptTokenCount includes cachedContentTokenCount;
		// candidatesTokenCount does not include thoughtsTokenCount (the
		// total is prompt + candidates + tool-use prompt + thoughts).
		"gemini answer with cached content and thoughts": {
			read: func() (usage.Usage, bool) {
				return gemini.ParseUsage([]byte(`{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}],` +
					`"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":10000,"candidatesTokenCount":200,"thoughtsTokenCount":800,"totalTokenCount":13000,"promptTokensDetails":[{"modality":"TEXT","tokenCount":12000}]},"modelVersion":"gemini-2.5-flash","responseId":"r"}`))
			},
			prices: flash, want: usage.Usage{InputTokens: 12000, OutputTokens: 1000, CachedInputTokens: 10000, ReasoningTokens: 800},
			cost: (2000*0.30 + 10000*0.075 + 1000*2.50) / 1e6},
		"gemini converted answer": {
			read: func() (usage.Usage, bool) {
				r, err := gemini.ParseResponse([]byte(`{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP","index":0}],` +
					`"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":10000,"candidatesTokenCount":200,"thoughtsTokenCount":800,"totalTokenCount":13000}}`))
				return r.Usage, err == nil
			},
			prices: flash, want: usage.Usage{InputTokens: 12000, OutputTokens: 1000, CachedInputTokens: 10000, ReasoningTokens: 800},
			cost: (2000*0.30 + 10000*0.075 + 1000*2.50) / 1e6},
		"gemini stream: the last usageMetadata": {
			read: stream(&gemini.StreamDecoder{},
				`{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":10000,"totalTokenCount":12000}}`,
				`{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":10000,"candidatesTokenCount":200,"thoughtsTokenCount":800,"totalTokenCount":13000}}`),
			prices: flash, want: usage.Usage{InputTokens: 12000, OutputTokens: 1000, CachedInputTokens: 10000, ReasoningTokens: 800},
			cost: (2000*0.30 + 10000*0.075 + 1000*2.50) / 1e6},
		"gemini stream array (streamGenerateContent without alt=sse)": {
			read: func() (usage.Usage, bool) {
				return gemini.ParseUsage([]byte(`[{"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]},{"candidates":[{"content":{"parts":[{"text":"lo"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":10000,"candidatesTokenCount":200,"thoughtsTokenCount":800,"totalTokenCount":13000}}]`))
			},
			prices: flash, want: usage.Usage{InputTokens: 12000, OutputTokens: 1000, CachedInputTokens: 10000, ReasoningTokens: 800},
			cost: (2000*0.30 + 10000*0.075 + 1000*2.50) / 1e6},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := c.read()
			if !ok || got != c.want {
				t.Fatalf("usage = %+v, %v; want %+v", got, ok, c.want)
			}
			if cost := usage.Cost(got, c.prices, 1); math.Abs(cost-c.cost) > 1e-9 {
				t.Fatalf("cost = $%.8f, want $%.8f", cost, c.cost)
			}
		})
	}
}

// A model that declares no cached or cache-write price bills those tokens
// at its input price: nothing changes for it silently.
func TestUnsetCachePricesCostTheInputPrice(t *testing.T) {
	u := usage.Usage{InputTokens: 3000, OutputTokens: 10, CachedInputTokens: 1000, CacheWriteTokens: 1000}
	plain := usage.Cost(usage.Usage{InputTokens: 3000, OutputTokens: 10}, usage.Prices{InputPerMTok: 3, OutputPerMTok: 15}, 1)
	if got := usage.Cost(u, usage.Prices{InputPerMTok: 3, OutputPerMTok: 15}, 1); got != plain {
		t.Fatalf("cost with unset cache prices = %v, want the plain input price's %v", got, plain)
	}
	// Details larger than the totals (a malformed upstream count) cannot
	// make a call cost less than its output.
	bad := usage.Usage{InputTokens: 10, OutputTokens: 10, CachedInputTokens: 1_000_000, CacheWriteTokens: 5_000_000}
	if got := usage.Cost(bad, usage.Prices{InputPerMTok: 3, OutputPerMTok: 15, CachedInputPerMTok: 0.3}, 1); got < 10*15/1e6 {
		t.Fatalf("malformed details made the call cost %v", got)
	}
}

func anthropicMessage(body string) func() (usage.Usage, bool) {
	return func() (usage.Usage, bool) {
		r, err := anthropic.ParseResponse([]byte(body))
		if err != nil {
			return usage.Usage{}, false
		}
		return r.Usage, true
	}
}

// stream feeds SSE data payloads to a decoder and returns its usage.
func stream(d provider.Decoder, events ...string) func() (usage.Usage, bool) {
	return func() (usage.Usage, bool) {
		for _, e := range events {
			if _, err := d.Decode("", []byte(e)); err != nil {
				return usage.Usage{}, false
			}
		}
		return d.Usage()
	}
}

// A converted answer shows the client its usage in the client's own
// convention, and reading that back gives the same usage: an Anthropic
// client sees cache reads beside input_tokens, a Gemini client sees
// thoughts beside the candidates, an OpenAI client sees the details.
func TestRenderedUsageReadsBack(t *testing.T) {
	u := usage.Usage{InputTokens: 1250, OutputTokens: 400, CachedInputTokens: 1000, CacheWriteTokens: 200, ReasoningTokens: 300}
	r := &provider.ChatResponse{ID: "x", Text: "hi", FinishReason: provider.FinishStop, Usage: u}
	if got, err := anthropic.ParseResponse(anthropic.RenderResponse(r, "m")); err != nil || got.Usage != (usage.Usage{InputTokens: 1250, OutputTokens: 400, CachedInputTokens: 1000, CacheWriteTokens: 200}) {
		t.Errorf("anthropic: %+v, %v", got, err)
	}
	if got, ok := gemini.ParseUsage(gemini.RenderResponse(r, "m")); !ok || got != (usage.Usage{InputTokens: 1250, OutputTokens: 400, CachedInputTokens: 1000, ReasoningTokens: 300}) {
		t.Errorf("gemini: %+v", got)
	}
	if got, ok := usage.FromJSON(openai.RenderResponse(r)); !ok || got != (usage.Usage{InputTokens: 1250, OutputTokens: 400, CachedInputTokens: 1000, ReasoningTokens: 300}) {
		t.Errorf("openai: %+v", got)
	}
}
