package openai_test

import (
	"os"
	"testing"

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
