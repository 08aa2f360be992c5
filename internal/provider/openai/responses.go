package openai

import (
	"encoding/json"

	"github.com/keygate/keygate/internal/provider"
)

// ResponsesDecoder watches a Responses API stream passed through to an
// OpenAI channel: the stream ends with response.completed (or .failed,
// .incomplete), whose response carries the usage. It yields no chunks.
type ResponsesDecoder struct {
	done     bool
	usage    provider.Usage
	hasUsage bool
}

// Decode reads one event.
func (d *ResponsesDecoder) Decode(event string, data []byte) (*provider.ChatChunk, error) {
	var ev struct {
		Type     string `json:"type"`
		Response *struct {
			Usage *struct {
				InputTokens  int `json:"input_tokens"`
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, nil // not ours to judge: the bytes go through unchanged
	}
	switch ev.Type {
	case "response.completed", "response.failed", "response.incomplete":
		d.done = true
	case "error":
		d.done = true
	}
	if ev.Response != nil && ev.Response.Usage != nil {
		d.usage = provider.Usage{InputTokens: ev.Response.Usage.InputTokens, OutputTokens: ev.Response.Usage.OutputTokens}
		d.hasUsage = true
	}
	return nil, nil
}

// Done reports whether the terminal event was seen.
func (d *ResponsesDecoder) Done() bool { return d.done }

// Usage returns the usage of the terminal event.
func (d *ResponsesDecoder) Usage() (provider.Usage, bool) { return d.usage, d.hasUsage }
