package openai_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/provider/providertest"
)

// Responses API requests, shown through their chat-completions form.
func TestResponsesRequest(t *testing.T) {
	providertest.Golden(t, "testdata/responses_request", ".responses.json", ".chat.json", func(in []byte) ([]byte, error) {
		r, err := openai.ParseResponsesRequest(in)
		if err != nil {
			return nil, err
		}
		return openai.ToChatRequest(r)
	})
}

// Chat completions answers rendered as Responses API objects.
func TestResponsesRender(t *testing.T) {
	providertest.Golden(t, "testdata/responses_render", ".openai.json", ".responses.json", func(in []byte) ([]byte, error) {
		r, err := openai.ParseResponse(in)
		if err != nil {
			return nil, err
		}
		return openai.ResponsesCodec{}.Response(r), nil
	})
}

// Chat completions chunks rendered as Responses API events.
func TestResponsesStream(t *testing.T) {
	providertest.Golden(t, "testdata/responses_stream", ".openai.sse", ".responses.sse", func(in []byte) ([]byte, error) {
		return providertest.ConvertStream(in, &openai.StreamDecoder{}, openai.ResponsesCodec{Created: 1700000000}.NewStream("resp_test", "m"))
	})
}

func FuzzStreamDecoder(f *testing.F) {
	for _, s := range []string{"testdata/responses_stream/text.openai.sse", "testdata/responses_stream/tool_calls.openai.sse"} {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = providertest.ConvertStream(b, &openai.StreamDecoder{}, openai.ResponsesCodec{}.NewStream("x", "y"))
	})
}

func FuzzParseChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"type":"function","function":{"name":"f"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := openai.ParseChatRequest(b); err == nil {
			_, _ = openai.ToChatRequest(r)
		}
	})
}

// An error object in the stream (vLLM and other OpenAI-compatible servers
// send one, then [DONE]) fails the stream with the upstream's message; it
// must not end as a complete, silently truncated answer.
func TestStreamDecoderError(t *testing.T) {
	body := "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n" +
		"data: {\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\"}}\n\n" +
		"data: [DONE]\n\n"
	st := provider.NewSSEStream(io.NopCloser(strings.NewReader(body)), &openai.StreamDecoder{})
	if c, err := st.Recv(); err != nil || c.Text != "Hi" {
		t.Fatalf("first Recv = %+v, %v; want the text chunk", c, err)
	}
	_, err := st.Recv()
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) || ue.Message != "model overloaded" || ue.Status < 500 {
		t.Fatalf("second Recv error = %v; want a 5xx *provider.UpstreamError with the upstream's message", err)
	}
}
