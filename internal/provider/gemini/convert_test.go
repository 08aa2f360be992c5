package gemini_test

import (
	"errors"
	"os"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/provider/providertest"
)

// OpenAI chat requests to GenerateContentRequests.
func TestToRequest(t *testing.T) {
	providertest.Golden(t, "testdata/to_request", ".openai.json", ".gemini.json", func(in []byte) ([]byte, error) {
		r, err := openai.ParseChatRequest(in)
		if err != nil {
			return nil, err
		}
		return gemini.ToRequest(r)
	})
}

// GenerateContentResponses to OpenAI chat completions.
func TestResponse(t *testing.T) {
	providertest.Golden(t, "testdata/response", ".gemini.json", ".openai.json", func(in []byte) ([]byte, error) {
		r, err := gemini.ParseResponse(in)
		if err != nil {
			return nil, err
		}
		r.Created = 1700000000
		return openai.RenderResponse(r), nil
	})
}

// streamGenerateContent?alt=sse to OpenAI chunks (with include_usage).
func TestStream(t *testing.T) {
	providertest.Golden(t, "testdata/stream", ".gemini.sse", ".openai.sse", func(in []byte) ([]byte, error) {
		enc := openai.Codec{IncludeUsage: true, Created: 1700000000}.NewStream("chatcmpl-test", "gemini-test")
		return providertest.ConvertStream(in, &gemini.StreamDecoder{}, enc)
	})
}

// Gemini clients' requests to OpenAI chat requests.
func TestFromRequest(t *testing.T) {
	providertest.Golden(t, "testdata/from_request", ".gemini.json", ".openai.json", func(in []byte) ([]byte, error) {
		r, err := gemini.ParseRequest("gemini-test", in, false)
		if err != nil {
			return nil, err
		}
		return openai.ToChatRequest(r)
	})
}

// OpenAI chunk streams rendered as streamGenerateContent chunks.
func TestRenderStream(t *testing.T) {
	providertest.Golden(t, "testdata/render_stream", ".openai.sse", ".gemini.sse", func(in []byte) ([]byte, error) {
		return providertest.ConvertStream(in, &openai.StreamDecoder{}, gemini.Codec{}.NewStream("r", "gpt-test"))
	})
}

func TestUnsupported(t *testing.T) {
	cases := map[string]struct{ body, param string }{
		"logit_bias":   {`{"model":"g","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":2}}`, "logit_bias"},
		"remote image": {`{"model":"g","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "messages[0].content[0].image_url"},
		"no parallel":  {`{"model":"g","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false}`, "parallel_tool_calls"},
		"seed":         {`{"model":"g","messages":[{"role":"user","content":"x"}],"seed":7}`, "seed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := openai.ParseChatRequest([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = gemini.ToRequest(r)
			var un *provider.UnsupportedError
			if !errors.As(err, &un) || un.Param != c.param || un.Provider != "Gemini" {
				t.Fatalf("want unsupported %s by Gemini, got %v", c.param, err)
			}
		})
	}
}

func FuzzStreamDecoder(f *testing.F) {
	for _, s := range []string{"testdata/stream/text.gemini.sse", "testdata/stream/function_call.gemini.sse"} {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = providertest.ConvertStream(b, &gemini.StreamDecoder{}, openai.Codec{}.NewStream("x", "y"))
	})
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"testdata/from_request/tools.gemini.json", "testdata/from_request/snake_case.gemini.json"} {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := gemini.ParseRequest("m", b, true); err == nil {
			_, _ = openai.ToChatRequest(r)
			_, _ = gemini.ToRequest(r)
		}
	})
}
