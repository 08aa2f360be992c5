package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
)

// Every request body recorded from a real client (Claude Code, Codex, the
// AI SDK's Responses, Chat and Anthropic providers; testdata/clients of each
// adapter) is read by its route's parser and converts for every other
// provider: no client's own request is refused on a converted model, except
// a built-in tool only OpenAI runs.
func TestRecordedClientBodiesConvert(t *testing.T) {
	files, _ := filepath.Glob("../*/testdata/clients/*.json")
	if len(files) < 10 {
		t.Fatalf("recorded bodies: %v", files)
	}
	targets := map[string]func(*provider.ChatRequest) ([]byte, error){
		"openai": openai.ToChatRequest, "anthropic": anthropic.ToRequest, "gemini": gemini.ToRequest}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(f)
			var r *provider.ChatRequest
			switch {
			case strings.Contains(name, "-chat-"):
				r, err = openai.ParseChatRequest(body)
			case strings.Contains(name, "-responses-"), strings.HasPrefix(name, "codex"):
				r, err = openai.ParseResponsesRequest(body)
			default:
				r, err = anthropic.ParseRequest(body)
			}
			var bt *provider.BuiltinToolError
			if errors.As(err, &bt) {
				return // asserted with its hint in provider/openai
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			r.Model = "target"
			for tn, to := range targets {
				if _, err := to(r); err != nil {
					t.Errorf("for %s: %v", tn, err)
				}
			}
		})
	}
}
