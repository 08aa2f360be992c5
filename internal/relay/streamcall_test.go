package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// streamRead is what a caller reads of a stream: its chunks (copied, as
// each is valid only until the next Recv), how it ended and its usage.
type streamRead struct {
	Chunks   []provider.ChatChunk
	End      string
	Usage    provider.Usage
	HasUsage bool
}

func readStream(st provider.ChatStream) streamRead {
	defer st.Close()
	var r streamRead
	for {
		c, err := st.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.End = fmt.Sprintf("%T %v", err, err)
			}
			r.Usage, r.HasUsage = st.Usage()
			return r
		}
		cc := *c
		cc.ToolCalls = slices.Clone(c.ToolCalls)
		r.Chunks = append(r.Chunks, cc)
	}
}

// A converted streamed call the relay sends itself (streamCall: the
// channel's request template, send) is the adapter's own ChatStream: the
// upstream gets the same request — path and query, credential and other
// headers, body — and the caller reads the same chunks, end and usage, or
// gets the same error, for every adapter and for streams, streams cut
// short, vendor errors (Gemini's refused key made a 401), rate limits
// with Retry-After, bodies that are not JSON and redirects.
func TestStreamCallIsChatStream(t *testing.T) {
	streams := map[string]string{
		TypeAnthropic: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hello\"}}\n\n" +
			"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
		TypeGemini: "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"hel\"}]}}],\"modelVersion\":\"g-x\",\"responseId\":\"r1\"}\r\n\r\n" +
			"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7},\"modelVersion\":\"g-x\",\"responseId\":\"r1\"}\r\n\r\n",
		TypeOpenAI: "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":null}]}\n\n" +
			"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n" +
			"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"gpt-x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\n" +
			"data: [DONE]\n\n",
	}
	sse := map[string]string{"Content-Type": "text/event-stream"}
	cases := map[string]func(typ string) upAnswer{
		"stream":     func(typ string) upAnswer { return upAnswer{200, sse, streams[typ]} },
		"stream cut": func(typ string) upAnswer { return upAnswer{200, sse, streams[typ][:len(streams[typ])/2]} },
		"vendor error": func(string) upAnswer {
			return upAnswer{400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"bad sk-channel-secret-0000 thing"}}`}
		},
		"gemini refused key": func(string) upAnswer {
			return upAnswer{400, nil, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`}
		},
		"rate limited": func(string) upAnswer {
			return upAnswer{429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"slow down"}}`}
		},
		"not JSON":         func(string) upAnswer { return upAnswer{502, nil, "<html>bad gateway</html>"} },
		"not a stream 200": func(string) upAnswer { return upAnswer{200, nil, "<html>oops</html>"} },
		"redirect": func(string) upAnswer {
			return upAnswer{307, map[string]string{"Location": "http://127.0.0.1:1/elsewhere?sig=x"}, ""}
		},
		"redirect without Location": func(string) upAnswer { return upAnswer{302, nil, "moved"} },
	}
	up := newRecordingUpstream(t)

	rl := newRelay()
	rl.Client = NewClient(NewTransport())
	cr := &provider.ChatRequest{Model: "up-model", MaxTokens: 64, User: "u1", Stream: true, IncludeUsage: true,
		Messages: []provider.Message{{Role: provider.RoleSystem, Parts: []provider.Part{{Type: provider.PartText, Text: "be brief"}}},
			{Role: provider.RoleUser, Parts: []provider.Part{{Type: provider.PartText, Text: "hi <there>"}}}}}
	for _, typ := range []string{TypeAnthropic, TypeGemini, TypeOpenAI} {
		p := rl.provider(typ)
		sc, ok := p.(provider.StreamCaller)
		if !ok || !rl.ownProviders {
			t.Fatalf("%s adapter: StreamCaller %v, own providers %v", typ, ok, rl.ownProviders)
		}
		for name, mk := range cases {
			t.Run(typ+"/"+name, func(t *testing.T) {
				up.answer(mk(typ))
				ch := channel(t, "c", up.URL+"/v1", 0)
				ch.Type = typ
				stRelay, errRelay := rl.streamCall(context.Background(), ch, sc, cr)
				stChat, errChat := p.ChatStream(context.Background(), provider.Credential{BaseURL: ch.URL, APIKey: ch.APIKey}, cr)
				if (stRelay == nil) != (stChat == nil) {
					t.Fatalf("stream %v (%v), ChatStream's %v (%v)", stRelay, errRelay, stChat, errChat)
				}
				if stRelay != nil {
					if a, b := readStream(stRelay), readStream(stChat); !reflect.DeepEqual(a, b) {
						t.Fatalf("read\n%+v\nChatStream's\n%+v", a, b)
					} else if name == "stream" && (len(a.Chunks) == 0 || a.End != "" || !a.HasUsage) {
						t.Fatalf("the stream read as %+v", a)
					}
				}
				sameError(t, name, errRelay, errChat, "ChatStream")
				up.sameTwice(t, "ChatStream")
			})
		}
	}
}
