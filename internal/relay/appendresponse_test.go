package relay

import (
	"bytes"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/openai"
)

// The codecs' AppendResponse (what the relay renders a converted answer
// with, into a pooled buffer) appends exactly Response's bytes, whatever
// dst already holds.
func TestAppendResponseIsResponse(t *testing.T) {
	answers := []*provider.ChatResponse{
		{ID: "a1", Model: "m", Text: "hello <b> & \u2028", FinishReason: provider.FinishStop, Usage: provider.Usage{InputTokens: 3, OutputTokens: 4}},
		{Model: "m", Reasoning: "think", ToolCalls: []provider.ToolCall{{ID: "t1", Name: "f", Arguments: `{"a":1}`}, {ID: "t2", Name: "g", Arguments: `not json`}},
			FinishReason: provider.FinishToolCalls},
		{},
	}
	codecs := map[string]provider.Codec{"openai": openai.Codec{Created: 7}, "anthropic": anthropic.Codec{}}
	for name, c := range codecs {
		ra, ok := c.(provider.ResponseAppender)
		if !ok {
			t.Fatalf("%s codec cannot append", name)
		}
		for i, r := range answers {
			r1, r2 := *r, *r
			want := c.Response(&r1)
			for _, dst := range [][]byte{nil, []byte("prefix"), make([]byte, 0, 4096)} {
				got := ra.AppendResponse(bytes.Clone(dst), &r2)
				if !bytes.Equal(got, append(bytes.Clone(dst), want...)) {
					t.Errorf("%s answer %d onto %q:\n%s\nwant\n%s", name, i, dst, got, want)
				}
			}
		}
	}
}
