// Package provider holds the neutral form of a chat call — the request, the
// answer and the stream chunks every wire format is converted to and from —
// and the small interfaces an upstream adapter implements.
//
// A Provider speaks one upstream's wire format (Anthropic Messages, Gemini
// generateContent, OpenAI chat completions). Each adapter keeps its pure
// conversion (convert.go) apart from its transport (client.go), so the
// conversions are tested against recorded payloads without a server.
// Streams are pulled: Recv until io.EOF; an upstream stream that ends
// without its terminal event is an error, never a silent success.
package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/usage"
)

// Roles of a neutral message.
const (
	RoleSystem    = "system" // also OpenAI's "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool" // a tool result
)

// Finish reasons in the neutral (OpenAI) vocabulary.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// ChatRequest is a chat call in the neutral form.
type ChatRequest struct {
	Model     string
	Messages  []Message
	MaxTokens int // 0: not set
	// DefaultMaxTokens is the catalogue's output limit for the model, used
	// by providers that require max_tokens when the client sent none.
	DefaultMaxTokens int
	Temperature      *float64
	TopP             *float64
	TopK             *int
	Stop             []string
	Tools            []Tool
	ToolChoice       *ToolChoice
	// ParallelToolCalls is OpenAI's parallel_tool_calls (nil: not set).
	ParallelToolCalls *bool
	ResponseFormat    *ResponseFormat
	Stream            bool
	// IncludeUsage asks for usage in the last stream chunk (OpenAI's
	// stream_options.include_usage); adapters always report usage to the
	// gateway, codecs decide whether the client sees it.
	IncludeUsage bool
	User         string // an end-user id, when the wire format has one
	// Unmapped names client parameters that change the answer but have no
	// neutral form (logit_bias, n > 1…). Adapters for other providers refuse
	// them with an UnsupportedError instead of dropping them.
	Unmapped []string
	// Dropped names client features with no equivalent on the target that
	// the client's format allows a server to ignore (Anthropic's
	// context_management, a previous turn's thinking): left out, never
	// refused, and named to the client in the DroppedHeader.
	Dropped []string
	// ReasoningEffort is "low", "medium" or "high" (OpenAI's
	// reasoning_effort; Anthropic's output_config.effort and thinking
	// budgets map to it); "" leaves the upstream's default.
	ReasoningEffort string
	// ThinkingBudget is a reasoning token budget (Anthropic's
	// budget_tokens, Gemini's thinkingBudget); 0: not set.
	ThinkingBudget int
	// IncludeThoughts asks for the model's reasoning in the answer
	// (Anthropic thinking enabled or adaptive; Gemini includeThoughts).
	IncludeThoughts bool
}

// SizeHint estimates the size of r encoded in any wire format, so an
// encoder allocates its buffer once.
func (r *ChatRequest) SizeHint() int {
	n := 256 + len(r.Model)
	for _, m := range r.Messages {
		n += 48
		for _, p := range m.Parts {
			n += 32 + len(p.Text) + len(p.Data) + len(p.URL)
		}
		for _, tc := range m.ToolCalls {
			n += 64 + len(tc.ID) + len(tc.Name) + len(tc.Arguments)
		}
	}
	for _, t := range r.Tools {
		n += 64 + len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	return n
}

// DroppedHeader is the response header naming the features of a converted
// request the target provider has no equivalent for.
const DroppedHeader = "Keygate-Dropped-Features"

// EffortForBudget maps a thinking token budget to a reasoning effort.
func EffortForBudget(n int) string {
	switch {
	case n <= 0:
		return ""
	case n <= 4096:
		return "low"
	case n <= 16384:
		return "medium"
	}
	return "high"
}

// BudgetForEffort maps a reasoning effort to a thinking token budget.
func BudgetForEffort(e string) int {
	switch e {
	case "minimal":
		return 512
	case "low":
		return 2048
	case "medium":
		return 8192
	case "high", "xhigh", "max":
		return 24576
	}
	return 0
}

// Message is one turn.
type Message struct {
	Role       string
	Parts      []Part
	ToolCalls  []ToolCall // assistant turns
	ToolCallID string     // RoleTool: the call this result answers
	Name       string     // RoleTool: the function name, when known
	IsError    bool       // RoleTool: the tool failed
}

// Text returns the concatenated text parts of m.
func (m *Message) Text() string {
	var s string
	for _, p := range m.Parts {
		if p.Type == PartText {
			s += p.Text
		}
	}
	return s
}

// Part kinds.
const (
	PartText  = "text"
	PartImage = "image"
)

// Part is a piece of message content.
type Part struct {
	Type string
	Text string
	// An image is either inline (MediaType + base64 Data) or by URL.
	MediaType string
	Data      string
	URL       string
}

// ToolCall is a function call the model made.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON object text
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema; nil: no parameters
}

// Tool choice modes.
const (
	ToolAuto     = "auto"
	ToolNone     = "none"
	ToolRequired = "required" // any tool
	ToolNamed    = "tool"     // the tool in Name
)

// ToolChoice constrains tool use.
type ToolChoice struct {
	Mode string
	Name string
}

// ResponseFormat is JSON mode: "json_object", or "json_schema" with Schema.
type ResponseFormat struct {
	Type   string
	Name   string
	Schema json.RawMessage
	Strict bool
}

// ChatResponse is a complete answer.
type ChatResponse struct {
	ID           string
	Model        string
	Created      int64
	Text         string
	ToolCalls    []ToolCall
	FinishReason string
	Usage        Usage
	// Reasoning is the model's visible reasoning (DeepSeek-style
	// reasoning_content, Gemini thought parts), shown to Claude clients as
	// a thinking block.
	Reasoning string
}

// Usage is token usage as the upstream reported it, in the gateway's one
// convention (usage.Usage: cached and cache-write tokens are part of the
// input, reasoning tokens part of the output), so adapters, the relay and
// billing never convert between two forms and lose a field.
type Usage = usage.Usage

// ChatChunk is one step of a stream. A chunk carries any of: the role (first
// chunk), a text delta, tool-call deltas, a finish reason.
type ChatChunk struct {
	ID           string
	Model        string
	Role         string
	Text         string
	Reasoning    string // a reasoning delta (see ChatResponse.Reasoning)
	ToolCalls    []ToolCallDelta
	FinishReason string
}

// ToolCallDelta is a piece of a streamed tool call. The first piece of a call
// carries ID and Name; later pieces carry argument text.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
}

// Credential is what a channel gives an adapter to call its upstream.
type Credential struct {
	BaseURL *url.URL // e.g. https://api.anthropic.com/v1
	APIKey  string   // never logged
	Header  http.Header
}

// Provider is an upstream adapter: the two calls every provider has.
type Provider interface {
	Chat(ctx context.Context, c Credential, r *ChatRequest) (*ChatResponse, error)
	ChatStream(ctx context.Context, c Credential, r *ChatRequest) (ChatStream, error)
}

// ChatStream is a pulled stream of chunks.
type ChatStream interface {
	// Recv returns the next chunk, io.EOF after the upstream's terminal
	// event, or an error (ErrStreamCut when the body ended early). The
	// chunk is valid until the next Recv: a stream may reuse it.
	Recv() (*ChatChunk, error)
	// Usage returns the usage reported so far.
	Usage() (Usage, bool)
	Close() error
}

// PlainCaller is the optional capability of an adapter whose
// non-streaming call is a request, an answer and an error reading apart
// from the transport: Chat is PlainRequest sent with Post, then
// PlainAnswer or (through Post) PlainError. The relay sends a plain call
// of such an adapter itself, as it sends a passed-through call (the
// channel's request template and credential headers, made once, and the
// transport without http.Client.Do), and reads the answer from a pooled
// buffer: neither PlainAnswer's result nor PlainError's keeps a
// reference to the body it was given.
type PlainCaller interface {
	// PlainRequest returns the path below the channel's base URL and the
	// JSON body of r's non-streaming call.
	PlainRequest(r *ChatRequest) (path string, body []byte, err error)
	// PlainAnswer reads the body of a 2xx answer to r.
	PlainAnswer(r *ChatRequest, body []byte) (*ChatResponse, error)
	// PlainError is the error of a non-2xx answer: its status, the first
	// 64 KiB of its body, its Retry-After and the credential to scrub.
	PlainError(status int, body []byte, retryAfter, apiKey string) error
}

// StreamCaller is the optional capability of an adapter whose streaming
// call is a request and a stream reading apart from the transport:
// ChatStream is StreamRequest sent with Post, then NewStream over the
// body of a 2xx answer, or (through Post) PlainError. The relay sends a
// streamed call of such an adapter itself, as it sends a plain one
// (PlainCaller).
type StreamCaller interface {
	PlainCaller
	// StreamRequest returns the path (with its query, if any) below the
	// channel's base URL and the JSON body of r's streaming call.
	StreamRequest(r *ChatRequest) (path string, body []byte, err error)
	// NewStream reads the body of a 2xx answer to a streaming call.
	NewStream(body io.ReadCloser) ChatStream
}

// MaxErrorBody is how much of a non-2xx answer's body is read for its
// error.
const MaxErrorBody = 64 << 10

// Registry maps a channel type to its adapter.
type Registry map[string]Provider

// ErrStreamCut means the upstream stream ended without its terminal event.
var ErrStreamCut = errors.New("upstream stream ended before its terminal event")

// UnsupportedError is a request parameter the target provider cannot honour;
// it is answered with 400 invalid_request, never dropped silently.
type UnsupportedError struct {
	Provider string
	Param    string
	Detail   string
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("parameter %q is not supported by %s", e.Param, e.Provider)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unsupported returns an *UnsupportedError.
func Unsupported(provider, param, detail string) error {
	return &UnsupportedError{Provider: provider, Param: param, Detail: detail}
}

// BuiltinToolError is a tool the client's provider runs itself (OpenAI's
// web_search…), which the target cannot: answered with 400, naming the
// tool and the client setting that turns it off.
type BuiltinToolError struct {
	Provider string // who runs it
	Tool     string
	Param    string // "tools[3]"
	Setting  string // what to change on the client
}

func (e *BuiltinToolError) Error() string {
	return fmt.Sprintf("built-in tool %q (%s) is run by %s itself", e.Tool, e.Param, e.Provider)
}

// InvalidError is a request that cannot be converted (malformed content).
type InvalidError struct {
	Param string
	Msg   string
}

func (e *InvalidError) Error() string { return e.Msg }

// Invalid returns an *InvalidError.
func Invalid(param, format string, args ...any) error {
	return &InvalidError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// UpstreamError is an upstream's non-2xx answer.
type UpstreamError struct {
	Status     int
	Message    string // the upstream's own words, for the log and the caller
	Type       string // the upstream's error type, when it has one
	RetryAfter string
}

func (e *UpstreamError) Error() string {
	return fmt.Sprintf("upstream answered %d: %s", e.Status, e.Message)
}

// StatusError is the error of an upstream's non-2xx answer: the message
// parse finds in its body (else the body itself, cut to 500 bytes), with
// the credential scrubbed.
func StatusError(status int, body []byte, retryAfter, apiKey string, parse ErrorParser) *UpstreamError {
	typ, msg := parse(body)
	// Scrub before truncating, so a cut cannot leave half a credential.
	msg = Scrub(msg, apiKey)
	if msg == "" {
		msg = Scrub(strings.TrimSpace(string(body)), apiKey)
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
	}
	return &UpstreamError{Status: status, Type: typ, Message: msg, RetryAfter: retryAfter}
}

// Codec renders neutral answers in a client's wire format.
type Codec interface {
	// Response renders a complete answer.
	Response(r *ChatResponse) []byte
	// NewStream returns an encoder for one streamed answer.
	NewStream(id, model string) StreamEncoder
	// StreamContentType is the Content-Type of a streamed answer.
	StreamContentType() string
}

// ResponseAppender is the optional capability of a Codec that appends a
// complete answer (Response's bytes) to dst, so the relay renders it into
// a pooled buffer instead of a new one per call.
type ResponseAppender interface {
	AppendResponse(dst []byte, r *ChatResponse) []byte
}

// StreamEncoder renders a stream chunk by chunk; each method appends the
// bytes to send to dst and returns it. Encoders are pure and stateful.
type StreamEncoder interface {
	Chunk(dst []byte, c *ChatChunk) []byte
	// Finish ends a complete stream with its usage.
	Finish(dst []byte, u Usage) []byte
	// Fail ends a stream the upstream broke, in the format's error shape.
	Fail(dst []byte, status int, msg string) []byte
}
