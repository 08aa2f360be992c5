package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
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
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	sse := map[string]string{"Content-Type": "text/event-stream"}
	cases := map[string]func(typ string) answer{
		"stream":     func(typ string) answer { return answer{200, sse, streams[typ]} },
		"stream cut": func(typ string) answer { return answer{200, sse, streams[typ][:len(streams[typ])/2]} },
		"vendor error": func(string) answer {
			return answer{400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"bad sk-channel-secret-0000 thing"}}`}
		},
		"gemini refused key": func(string) answer {
			return answer{400, nil, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`}
		},
		"rate limited": func(string) answer {
			return answer{429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"slow down"}}`}
		},
		"not JSON":         func(string) answer { return answer{502, nil, "<html>bad gateway</html>"} },
		"not a stream 200": func(string) answer { return answer{200, nil, "<html>oops</html>"} },
		"redirect": func(string) answer {
			return answer{307, map[string]string{"Location": "http://127.0.0.1:1/elsewhere?sig=x"}, ""}
		},
		"redirect without Location": func(string) answer { return answer{302, nil, "moved"} },
	}
	var mu sync.Mutex
	var seen []seenRequest
	var current answer
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := r.Header.Clone()
		mu.Lock()
		seen = append(seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, h, string(b)})
		a := current
		mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	defer up.Close()

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
				mu.Lock()
				current, seen = mk(typ), nil
				mu.Unlock()
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
				if re, ok := asRedirect(errRelay); ok != (name == "redirect") {
					t.Fatalf("redirect error %v (%v) for %s", re, ok, name)
				} else if ok {
					if rc, _ := asRedirect(errChat); !reflect.DeepEqual(re, rc) {
						t.Fatalf("redirect %+v, ChatStream's %+v", re, rc)
					}
				} else if fmt.Sprintf("%T %v", errRelay, errRelay) != fmt.Sprintf("%T %v", errChat, errChat) {
					t.Fatalf("error %T %v, ChatStream's %T %v", errRelay, errRelay, errChat, errChat)
				}
				if ue, ok := errRelay.(*provider.UpstreamError); ok && !reflect.DeepEqual(ue, errChat) {
					t.Fatalf("upstream error %+v, ChatStream's %+v", ue, errChat)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(seen) != 2 {
					t.Fatalf("upstream got %d requests, want 2", len(seen))
				}
				for _, s := range seen {
					delete(s.Header, "Accept-Encoding") // the transport's own
				}
				if !reflect.DeepEqual(seen[0], seen[1]) {
					t.Fatalf("upstream got\n%+v\nfrom the relay and\n%+v\nfrom ChatStream", seen[0], seen[1])
				}
			})
		}
	}
}
