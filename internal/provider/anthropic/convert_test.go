package anthropic_test

import (
	"errors"
	"os"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/provider/providertest"
)

// OpenAI chat requests to Anthropic Messages requests.
func TestToRequest(t *testing.T) {
	providertest.Golden(t, "testdata/to_request", ".openai.json", ".anthropic.json", func(in []byte) ([]byte, error) {
		r, err := openai.ParseChatRequest(in)
		if err != nil {
			return nil, err
		}
		return anthropic.ToRequest(r)
	})
}

// Anthropic Messages answers to OpenAI chat completions.
func TestResponse(t *testing.T) {
	providertest.Golden(t, "testdata/response", ".anthropic.json", ".openai.json", func(in []byte) ([]byte, error) {
		r, err := anthropic.ParseResponse(in)
		if err != nil {
			return nil, err
		}
		r.Created = 1700000000
		return openai.RenderResponse(r), nil
	})
}

// Anthropic event streams to OpenAI chunks (with include_usage).
func TestStream(t *testing.T) {
	providertest.Golden(t, "testdata/stream", ".anthropic.sse", ".openai.sse", func(in []byte) ([]byte, error) {
		enc := openai.Codec{IncludeUsage: true, Created: 1700000000}.NewStream("chatcmpl-test", "claude-test")
		return providertest.ConvertStream(in, &anthropic.StreamDecoder{}, enc)
	})
}

// Claude clients' requests to OpenAI chat requests.
func TestFromRequest(t *testing.T) {
	providertest.Golden(t, "testdata/from_request", ".anthropic.json", ".openai.json", func(in []byte) ([]byte, error) {
		r, err := anthropic.ParseRequest(in)
		if err != nil {
			return nil, err
		}
		return openai.ToChatRequest(r)
	})
}

// OpenAI answers rendered as Anthropic Messages.
func TestRender(t *testing.T) {
	providertest.Golden(t, "testdata/render", ".openai.json", ".anthropic.json", func(in []byte) ([]byte, error) {
		r, err := openai.ParseResponse(in)
		if err != nil {
			return nil, err
		}
		return anthropic.Codec{}.Response(r), nil
	})
}

// OpenAI chunk streams rendered as Anthropic's event sequence.
func TestRenderStream(t *testing.T) {
	providertest.Golden(t, "testdata/render_stream", ".openai.sse", ".anthropic.sse", func(in []byte) ([]byte, error) {
		dec := &openai.StreamDecoder{}
		return providertest.ConvertStream(in, dec, anthropic.Codec{}.NewStream("msg_test", "gpt-test"))
	})
}

func TestUnsupported(t *testing.T) {
	cases := map[string]struct {
		body  string
		param string
	}{
		"logit_bias":       {`{"model":"c","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":2}}`, "logit_bias"},
		"n":                {`{"model":"c","messages":[{"role":"user","content":"x"}],"n":2}`, "n"},
		"temperature":      {`{"model":"c","messages":[{"role":"user","content":"x"}],"temperature":1.5}`, "temperature"},
		"json_object":      {`{"model":"c","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`, "response_format"},
		"presence_penalty": {`{"model":"c","messages":[{"role":"user","content":"x"}],"presence_penalty":0.5}`, "presence_penalty"},
		"audio":            {`{"model":"c","messages":[{"role":"user","content":"x"}],"modalities":["audio"]}`, "modalities"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := openai.ParseChatRequest([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = anthropic.ToRequest(r)
			var un *provider.UnsupportedError
			if !errors.As(err, &un) || un.Param != c.param || un.Provider != "Anthropic" {
				t.Fatalf("want unsupported %s by Anthropic, got %v", c.param, err)
			}
		})
	}
}

func TestParseRequestNeedsMaxTokens(t *testing.T) {
	_, err := anthropic.ParseRequest([]byte(`{"model":"c","messages":[{"role":"user","content":"x"}]}`))
	var inv *provider.InvalidError
	if !errors.As(err, &inv) || inv.Param != "max_tokens" {
		t.Fatalf("got %v", err)
	}
}

func FuzzStreamDecoder(f *testing.F) {
	for _, s := range []string{"testdata/stream/text.anthropic.sse", "testdata/stream/tool_use.anthropic.sse"} {
		b, _ := readFile(s)
		f.Add(b)
	}
	f.Add([]byte("event: error\ndata: {\"type\":\"error\"}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		enc := openai.Codec{IncludeUsage: true}.NewStream("x", "y")
		_, _ = providertest.ConvertStream(b, &anthropic.StreamDecoder{}, enc)
	})
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"testdata/from_request/basic.anthropic.json", "testdata/from_request/tools.anthropic.json"} {
		b, _ := readFile(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := anthropic.ParseRequest(b)
		if err == nil {
			_, _ = openai.ToChatRequest(r)
			_, _ = anthropic.ToRequest(r)
		}
	})
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }
