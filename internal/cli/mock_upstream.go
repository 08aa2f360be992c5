package cli

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/mockupstream"
)

// newMockUpstreamCmd runs the built-in fake OpenAI upstream, so keygate can
// be tried (and benchmarked) without any provider account.
func newMockUpstreamCmd() *cobra.Command {
	var (
		listen     string
		apiKey     string
		latency    time.Duration
		chunkDelay time.Duration
	)
	cmd := &cobra.Command{
		Use:   "mock-upstream",
		Short: "Run a fake OpenAI, Anthropic and Gemini upstream for trying keygate without a provider account",
		Long: `Run a fake of three vendors' APIs that answers deterministically:
OpenAI (models, chat completions, completions, embeddings, Responses),
Anthropic (/v1/messages, /v1/messages/count_tokens, models) and Gemini
(generateContent, streamGenerateContent, countTokens, embedContent,
batchEmbedContents, models); streaming and function tools included.

Point channels at it:

  channels:
    - {name: mock, type: openai, base_url: http://127.0.0.1:9090/v1,
       api_key: <the --api-key value, or anything when it is empty>,
       models: [mock-gpt, mock-gpt-mini, mock-embed]}
    - {name: mock-claude, type: anthropic, base_url: http://127.0.0.1:9090, api_key: …, models: [claude-mock]}
    - {name: mock-gemini, type: gemini, base_url: http://127.0.0.1:9090, api_key: …, models: [gemini-mock, gemini-mock-embed]}

Models mock-error-401, mock-error-429, mock-error-500, mock-slow and
mock-stream-cut simulate upstream failures.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("mock upstream: listen on %s: %w", listen, err)
			}
			// Print the real address: with port 0 the kernel chose it.
			addr := ln.Addr().String()
			keyNote := "any api_key"
			if apiKey != "" {
				keyNote = "the api_key given by --api-key"
			}
			fmt.Fprintf(cmd.OutOrStdout(),
				"mock upstream listening on %s (OpenAI, Anthropic and Gemini routes); point channels at it with base_url http://%s/v1 (openai), http://%s (anthropic, gemini) and %s\n",
				addr, addr, addr, keyNote)
			return mockupstream.Serve(cmd.Context(), ln, mockupstream.Options{
				APIKey:     apiKey,
				Latency:    latency,
				ChunkDelay: chunkDelay,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:9090", "address to listen on")
	f.StringVar(&apiKey, "api-key", "", "require this upstream API key as a Bearer token (empty: accept any)")
	f.DurationVar(&latency, "latency", 0, "delay added before every answer")
	f.DurationVar(&chunkDelay, "chunk-delay", 0, "delay between stream chunks")
	return cmd
}
