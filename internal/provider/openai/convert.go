// Package openai converts between OpenAI's chat completions wire format and
// the neutral provider form, both ways: inbound (an OpenAI client's request
// to be sent to another provider, and the answer rendered back as OpenAI
// JSON or chunks) and outbound (an Anthropic or Gemini client's request sent
// to an OpenAI-compatible channel). convert.go is pure; client.go is the
// transport. OpenAI-to-OpenAI traffic never comes here: the relay passes it
// through byte for byte.
package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
)

// Name is the provider name used in messages.
const Name = "OpenAI"

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"`
	Tools               []chatTool      `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      *responseFormat `json:"response_format,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *streamOptions  `json:"stream_options,omitempty"`
	User                string          `json:"user,omitempty"`
	N                   *int            `json:"n,omitempty"`
	Logprobs            *bool           `json:"logprobs,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict bool            `json:"strict,omitempty"`
}

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	ToolCalls  []chatToolCall  `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	Name       string          `json:"name,omitempty"`
}

type chatPart struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail,omitempty"`
	} `json:"image_url,omitempty"`
}

type chatToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
		Strict      *bool           `json:"strict,omitempty"`
	} `json:"function"`
}

// mapped are the request members ParseChatRequest turns into the neutral
// form; ignored change nothing in the answer (bookkeeping, storage).
var (
	mapped = map[string]bool{"model": true, "messages": true, "max_tokens": true, "max_completion_tokens": true,
		"temperature": true, "top_p": true, "stop": true, "tools": true, "tool_choice": true,
		"parallel_tool_calls": true, "response_format": true, "stream": true, "stream_options": true, "user": true,
		"n": true, "logprobs": true, "presence_penalty": true, "frequency_penalty": true, "reasoning_effort": true}
	ignored = map[string]bool{"store": true, "metadata": true, "service_tier": true, "safety_identifier": true,
		"prompt_cache_key": true}
)

func knownChatMember(k string) bool { return mapped[k] || ignored[k] }

// ParseChatRequest reads an OpenAI chat completions request into the
// neutral form. Parameters without a neutral form are listed in Unmapped.
func ParseChatRequest(body []byte) (*provider.ChatRequest, error) {
	in, extra, ok := scanRequest(body)
	if !ok {
		var err error
		if in, extra, err = decodeRequest(body); err != nil {
			return nil, err
		}
	}
	return neutralRequest(&in, extra)
}

// decodeRequest reads body with encoding/json: what scanRequest gives, for
// every body.
func decodeRequest(body []byte) (chatRequest, []string, error) {
	extra, ok := provider.ExtraMembers(body, knownChatMember)
	if !ok {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil {
			return chatRequest{}, nil, provider.Invalid("", "the request body is not a JSON object: %v", err)
		}
		extra = extra[:0]
		for k, v := range members {
			if !knownChatMember(k) && string(v) != "null" {
				extra = append(extra, k)
			}
		}
	}
	var in chatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return chatRequest{}, nil, provider.Invalid("", "the request body does not match the chat completions format: %v", err)
	}
	return in, extra, nil
}

// neutralRequest is the neutral form of a decoded request.
func neutralRequest(in *chatRequest, extra []string) (*provider.ChatRequest, error) {
	r := &provider.ChatRequest{Model: in.Model, Temperature: in.Temperature, TopP: in.TopP, Stream: in.Stream, User: in.User,
		ParallelToolCalls: in.ParallelToolCalls, ReasoningEffort: in.ReasoningEffort}
	r.Unmapped = append(r.Unmapped, extra...)
	if in.N != nil && *in.N > 1 {
		r.Unmapped = append(r.Unmapped, "n")
	}
	if in.Logprobs != nil && *in.Logprobs {
		r.Unmapped = append(r.Unmapped, "logprobs")
	}
	if in.PresencePenalty != nil && *in.PresencePenalty != 0 {
		r.Unmapped = append(r.Unmapped, "presence_penalty")
	}
	if in.FrequencyPenalty != nil && *in.FrequencyPenalty != 0 {
		r.Unmapped = append(r.Unmapped, "frequency_penalty")
	}
	sort.Strings(r.Unmapped)
	if in.StreamOptions != nil {
		r.IncludeUsage = in.StreamOptions.IncludeUsage
	}
	switch {
	case in.MaxCompletionTokens != nil:
		r.MaxTokens = *in.MaxCompletionTokens
	case in.MaxTokens != nil:
		r.MaxTokens = *in.MaxTokens
	}
	stop, err := parseStop(in.Stop)
	if err != nil {
		return nil, err
	}
	r.Stop = stop
	for i, t := range in.Tools {
		if t.Type != "function" {
			return nil, provider.Invalid(fmt.Sprintf("tools[%d].type", i), "tools[%d] has type %q; only function tools can be converted", i, t.Type)
		}
		r.Tools = append(r.Tools, provider.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	if len(in.ToolChoice) > 0 && string(in.ToolChoice) != "null" {
		tc, err := parseToolChoice(in.ToolChoice)
		if err != nil {
			return nil, err
		}
		r.ToolChoice = tc
	}
	if rf := in.ResponseFormat; rf != nil && rf.Type != "" && rf.Type != "text" {
		f := &provider.ResponseFormat{Type: rf.Type}
		if rf.JSONSchema != nil {
			f.Name, f.Schema, f.Strict = rf.JSONSchema.Name, rf.JSONSchema.Schema, rf.JSONSchema.Strict
		}
		r.ResponseFormat = f
	}
	for i, m := range in.Messages {
		nm, err := parseMessage(i, m)
		if err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, nm)
	}
	return r, nil
}

func parseStop(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, provider.Invalid("stop", "stop must be a string or an array of strings")
	}
	return many, nil
}

func parseToolChoice(raw json.RawMessage) (*provider.ToolChoice, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch s {
		case "auto":
			return &provider.ToolChoice{Mode: provider.ToolAuto}, nil
		case "none":
			return &provider.ToolChoice{Mode: provider.ToolNone}, nil
		case "required":
			return &provider.ToolChoice{Mode: provider.ToolRequired}, nil
		}
		return nil, provider.Invalid("tool_choice", "tool_choice %q is not one of auto, none, required", s)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return nil, provider.Invalid("tool_choice", `tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":…}}`)
	}
	return &provider.ToolChoice{Mode: provider.ToolNamed, Name: obj.Function.Name}, nil
}

func parseMessage(i int, m chatMessage) (provider.Message, error) {
	nm := provider.Message{Role: m.Role}
	switch m.Role {
	case "system", "developer":
		nm.Role = provider.RoleSystem
	case "user", "assistant":
	case "tool":
		nm.Role, nm.ToolCallID = provider.RoleTool, m.ToolCallID
		if m.ToolCallID == "" {
			return nm, provider.Invalid(fmt.Sprintf("messages[%d].tool_call_id", i), "messages[%d] has role tool but no tool_call_id", i)
		}
	case "function":
		return nm, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] uses the deprecated role \"function\"; send tool calls and role \"tool\" results", i)
	default:
		return nm, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] has unknown role %q", i, m.Role)
	}
	parts, err := parseContent(i, m.Content)
	if err != nil {
		return nm, err
	}
	nm.Parts = parts
	for _, tc := range m.ToolCalls {
		args := tc.Function.Arguments
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		nm.ToolCalls = append(nm.ToolCalls, provider.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
	}
	return nm, nil
}

func parseContent(i int, raw json.RawMessage) ([]provider.Part, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if v, ok := jsonscan.String(raw); ok { // raw is valid JSON: a string
		if len(v) == 0 {
			return nil, nil
		}
		return []provider.Part{{Type: provider.PartText, Text: string(v)}}, nil
	}
	parts, ok := scanParts(raw)
	if !ok {
		parts = nil
	}
	if err := unmarshalUnless(ok, raw, &parts); err != nil {
		return nil, provider.Invalid(fmt.Sprintf("messages[%d].content", i), "messages[%d].content must be a string or an array of content parts", i)
	}
	var out []provider.Part
	for j, p := range parts {
		switch p.Type {
		case "text":
			out = append(out, provider.Part{Type: provider.PartText, Text: p.Text})
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, provider.Invalid(fmt.Sprintf("messages[%d].content[%d].image_url", i, j), "messages[%d].content[%d] is an image_url part without a url", i, j)
			}
			out = append(out, ImagePart(p.ImageURL.URL))
		default:
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].content[%d].type", i, j), "messages[%d].content[%d] has type %q; only text and image_url parts can be converted to another provider", i, j, p.Type)
		}
	}
	return out, nil
}

// ImagePart turns an image URL — a data: URL or a remote one — into a part.
func ImagePart(u string) provider.Part {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok {
			if mt, ok := strings.CutSuffix(meta, ";base64"); ok {
				return provider.Part{Type: provider.PartImage, MediaType: mt, Data: data}
			}
		}
	}
	return provider.Part{Type: provider.PartImage, URL: u}
}

// imageURL is the inverse of ImagePart.
func imageURL(p provider.Part) string {
	if p.URL != "" {
		return p.URL
	}
	return "data:" + p.MediaType + ";base64," + p.Data
}

// --- rendering the neutral answer for an OpenAI client ---

type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []chatChoice `json:"choices"`
	Usage             *chatUsage   `json:"usage,omitempty"`
	SystemFingerprint *string      `json:"system_fingerprint"`
}

type chatChoice struct {
	Index        int              `json:"index"`
	Message      *responseMessage `json:"message,omitempty"`
	Delta        *responseMessage `json:"delta,omitempty"`
	Logprobs     *struct{}        `json:"logprobs"`
	FinishReason *string          `json:"finish_reason"`
}

type responseMessage struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content"`
	Refusal   *string        `json:"refusal,omitempty"`
	ToolCalls []chatToolCall `json:"tool_calls,omitempty"`
}

type chatUsage struct {
	PromptTokens            int           `json:"prompt_tokens"`
	CompletionTokens        int           `json:"completion_tokens"`
	TotalTokens             int           `json:"total_tokens"`
	PromptTokensDetails     *tokenDetails `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *tokenDetails `json:"completion_tokens_details,omitempty"`
}

type tokenDetails struct {
	CachedTokens    int `json:"cached_tokens,omitempty"`
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

// neutral is u in the gateway's convention (OpenAI's prompt_tokens already
// include the cached tokens, completion_tokens the reasoning tokens).
func (u *chatUsage) neutral() provider.Usage {
	n := provider.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if u.PromptTokensDetails != nil {
		n.CachedInputTokens = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		n.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	return n
}

// RenderResponse renders a complete answer as an OpenAI chat completion,
// by appending bytes: what json.Marshal gives for the chatResponse of it
// (TestRenderResponseAsMarshalled, FuzzRenderResponse).
func RenderResponse(r *provider.ChatResponse) []byte {
	n := 256 + len(r.ID) + len(r.Model) + len(r.Text)
	for _, tc := range r.ToolCalls {
		n += 64 + len(tc.ID) + len(tc.Name) + len(tc.Arguments)
	}
	return appendResponse(make([]byte, 0, n), r)
}

// appendResponse appends RenderResponse's bytes to dst.
func appendResponse(dst []byte, r *provider.ChatResponse) []byte {
	dst = append(dst, `{"id":`...)
	dst = provider.AppendString(dst, r.ID)
	dst = append(dst, `,"object":"chat.completion","created":`...)
	dst = strconv.AppendInt(dst, r.Created, 10)
	dst = append(dst, `,"model":`...)
	dst = provider.AppendString(dst, r.Model)
	dst = append(dst, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if r.Text != "" || len(r.ToolCalls) == 0 {
		dst = provider.AppendString(dst, r.Text)
	} else {
		dst = append(dst, "null"...)
	}
	if len(r.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		for i, tc := range r.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			if tc.ID != "" {
				dst = append(dst, `"id":`...)
				dst = provider.AppendString(dst, tc.ID)
				dst = append(dst, ',')
			}
			dst = append(dst, `"type":"function","function":{`...)
			if tc.Name != "" {
				dst = append(dst, `"name":`...)
				dst = provider.AppendString(dst, tc.Name)
				dst = append(dst, ',')
			}
			dst = append(dst, `"arguments":`...)
			dst = provider.AppendString(dst, tc.Arguments)
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	fr := r.FinishReason
	if fr == "" {
		fr = provider.FinishStop
	}
	dst = provider.AppendString(dst, fr)
	dst = append(dst, `}],"usage":`...)
	dst = appendUsage(dst, r.Usage)
	return append(dst, `,"system_fingerprint":null}`...)
}

// appendUsage appends u as OpenAI writes it: the bytes json.Marshal gives
// for renderUsage(u).
func appendUsage(dst []byte, u provider.Usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.InputTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.OutputTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.InputTokens+u.OutputTokens), 10)
	if u.CachedInputTokens > 0 {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = strconv.AppendInt(dst, int64(u.CachedInputTokens), 10)
		dst = append(dst, '}')
	}
	if u.ReasoningTokens > 0 {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = strconv.AppendInt(dst, int64(u.ReasoningTokens), 10)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// StreamEncoder renders neutral chunks as OpenAI chat.completion.chunk
// events. It is pure: each method appends SSE bytes to dst.
type StreamEncoder struct {
	ID           string
	Model        string
	Created      int64
	IncludeUsage bool

	head []byte // the bytes every chunk starts with, made by the first
}

// Chunk appends one chunk event, by appending bytes (it runs for every
// event of a converted stream): the bytes json.Marshal gives for the chunk,
// with OpenAI's empty delta ({}) in a chunk that carries no role, text or
// tool call (the last one, with its finish_reason).
func (e *StreamEncoder) Chunk(dst []byte, c *provider.ChatChunk) []byte {
	if e.head == nil {
		h := append([]byte(`data: {"id":`), provider.AppendString(nil, e.ID)...)
		h = append(h, `,"object":"chat.completion.chunk","created":`...)
		h = strconv.AppendInt(h, e.Created, 10)
		h = append(h, `,"model":`...)
		h = provider.AppendString(h, e.Model)
		e.head = append(h, `,"choices":[{"index":0,"delta":{`...)
	}
	dst = append(dst, e.head...)
	n := len(dst)
	if c.Role != "" {
		dst = append(dst, `"role":`...)
		dst = provider.AppendString(dst, c.Role)
	}
	switch {
	case c.Text != "" || c.Role != "":
		dst = comma(dst, n)
		dst = append(dst, `"content":`...)
		dst = provider.AppendString(dst, c.Text)
	case len(c.ToolCalls) > 0:
		dst = append(dst, `"content":null`...)
	}
	if len(c.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		for i, tc := range c.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"index":`...)
			dst = strconv.AppendInt(dst, int64(tc.Index), 10)
			if tc.ID != "" {
				dst = append(dst, `,"id":`...)
				dst = provider.AppendString(dst, tc.ID)
				dst = append(dst, `,"type":"function"`...)
			}
			dst = append(dst, `,"function":{`...)
			if tc.Name != "" {
				dst = append(dst, `"name":`...)
				dst = provider.AppendString(dst, tc.Name)
				dst = append(dst, ',')
			}
			dst = append(dst, `"arguments":`...)
			dst = provider.AppendString(dst, tc.Arguments)
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	if c.FinishReason != "" {
		dst = provider.AppendString(dst, c.FinishReason)
	} else {
		dst = append(dst, "null"...)
	}
	return append(dst, "}],\"system_fingerprint\":null}\n\n"...)
}

// comma appends a member separator unless the object's members start at n.
func comma(dst []byte, n int) []byte {
	if len(dst) > n {
		return append(dst, ',')
	}
	return dst
}

// Finish appends the usage chunk (when the client asked for it) and [DONE].
func (e *StreamEncoder) Finish(dst []byte, u provider.Usage) []byte {
	if e.IncludeUsage {
		dst = append(dst, `data: {"id":`...)
		dst = provider.AppendString(dst, e.ID)
		dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
		dst = strconv.AppendInt(dst, e.Created, 10)
		dst = append(dst, `,"model":`...)
		dst = provider.AppendString(dst, e.Model)
		dst = append(dst, `,"choices":[],"usage":`...)
		dst = appendUsage(dst, u)
		dst = append(dst, ",\"system_fingerprint\":null}\n\n"...)
	}
	return append(dst, "data: [DONE]\n\n"...)
}

// Fail appends an error event: the OpenAI SDKs raise it as an error.
func (e *StreamEncoder) Fail(dst []byte, status int, msg string) []byte {
	return e.event(dst, map[string]any{"error": map[string]any{"message": msg, "type": "api_error", "code": "upstream_error", "param": nil}})
}

// Codec renders neutral answers for OpenAI chat completions clients.
type Codec struct {
	IncludeUsage bool // the client asked for stream usage
	Created      int64
}

var _ provider.Codec = Codec{}

var _ provider.ResponseAppender = Codec{}

// Response renders a chat completion.
func (c Codec) Response(r *provider.ChatResponse) []byte {
	if r.Created == 0 {
		r.Created = c.Created
	}
	return RenderResponse(r)
}

// AppendResponse appends Response's bytes to dst.
func (c Codec) AppendResponse(dst []byte, r *provider.ChatResponse) []byte {
	if r.Created == 0 {
		r.Created = c.Created
	}
	return appendResponse(dst, r)
}

// NewStream returns a chunk encoder.
func (c Codec) NewStream(id, model string) provider.StreamEncoder {
	return &StreamEncoder{ID: id, Model: model, Created: c.Created, IncludeUsage: c.IncludeUsage}
}

// StreamContentType is text/event-stream.
func (Codec) StreamContentType() string { return "text/event-stream; charset=utf-8" }

func (e *StreamEncoder) event(dst []byte, v any) []byte {
	b, _ := json.Marshal(v)
	dst = append(dst, "data: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}

// --- outbound: the neutral request to an OpenAI-compatible channel ---

// ToChatRequest renders r as an OpenAI chat completions body.
func ToChatRequest(r *provider.ChatRequest) ([]byte, error) {
	out := chatRequest{Model: r.Model, Temperature: r.Temperature, TopP: r.TopP, Stream: r.Stream, User: r.User,
		ParallelToolCalls: r.ParallelToolCalls, ReasoningEffort: chatEffort(r)}
	if r.TopK != nil {
		return nil, provider.Unsupported(Name, "top_k", "OpenAI chat completions have no top_k; remove it")
	}
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	if r.MaxTokens > 0 {
		n := r.MaxTokens
		out.MaxCompletionTokens = &n
	}
	if len(r.Stop) > 0 {
		out.Stop = []byte{'['}
		for i, s := range r.Stop {
			if i > 0 {
				out.Stop = append(out.Stop, ',')
			}
			out.Stop = provider.AppendString(out.Stop, s)
		}
		out.Stop = append(out.Stop, ']')
	}
	if r.Stream {
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	for _, t := range r.Tools {
		ct := chatTool{Type: "function"}
		ct.Function.Name, ct.Function.Description, ct.Function.Parameters = t.Name, t.Description, t.Parameters
		out.Tools = append(out.Tools, ct)
	}
	if tc := r.ToolChoice; tc != nil {
		switch tc.Mode {
		case provider.ToolNamed: // the keys sorted, as json.Marshal of a map had them
			out.ToolChoice = append(provider.AppendString([]byte(`{"function":{"name":`), tc.Name), `},"type":"function"}`...)
		default:
			out.ToolChoice = provider.AppendString(nil, tc.Mode)
		}
	}
	if f := r.ResponseFormat; f != nil {
		rf := &responseFormat{Type: f.Type}
		if f.Type == "json_schema" {
			rf.JSONSchema = &jsonSchema{Name: f.Name, Schema: f.Schema, Strict: f.Strict}
			if rf.JSONSchema.Name == "" {
				rf.JSONSchema.Name = "response"
			}
		}
		out.ResponseFormat = rf
	}
	for _, m := range r.Messages {
		cm := chatMessage{Role: m.Role, ToolCallID: m.ToolCallID}
		if m.Role == provider.RoleTool {
			text := m.Text()
			if m.IsError && !strings.HasPrefix(text, "Error") {
				text = "Error: " + text
			}
			cm.Content = provider.AppendString(nil, text)
			out.Messages = append(out.Messages, cm)
			continue
		}
		onlyText := true
		for _, p := range m.Parts {
			if p.Type != provider.PartText {
				onlyText = false
			}
		}
		switch {
		case len(m.Parts) == 0:
			if len(m.ToolCalls) == 0 {
				cm.Content = json.RawMessage(`""`)
			}
		case onlyText:
			cm.Content = provider.AppendString(nil, m.Text())
		default:
			var parts []map[string]any
			for _, p := range m.Parts {
				if p.Type == provider.PartText {
					parts = append(parts, map[string]any{"type": "text", "text": p.Text})
				} else {
					parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]string{"url": imageURL(p)}})
				}
			}
			cm.Content, _ = json.Marshal(parts)
		}
		for _, tc := range m.ToolCalls {
			c := chatToolCall{ID: tc.ID, Type: "function"}
			c.Function.Name, c.Function.Arguments = tc.Name, tc.Arguments
			cm.ToolCalls = append(cm.ToolCalls, c)
		}
		out.Messages = append(out.Messages, cm)
	}
	return appendRequest(make([]byte, 0, r.SizeHint()), &out)
}

type upstreamResponse struct {
	ID      string           `json:"id"`
	Model   string           `json:"model"`
	Created int64            `json:"created"`
	Choices []upstreamChoice `json:"choices"`
	Usage   *chatUsage       `json:"usage"`
	// Error is an error object sent in place of a stream chunk.
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

type upstreamChoice struct {
	Index        int `json:"index"`
	Message      *upstreamMessage
	Delta        *upstreamMessage
	FinishReason *string `json:"finish_reason"`
}

type upstreamMessage struct {
	Role    string  `json:"role"`
	Content *string `json:"content"`
	// ReasoningContent is DeepSeek's, Qwen's and vLLM's visible reasoning;
	// Reasoning is OpenRouter's and Ollama's name for it.
	ReasoningContent *string        `json:"reasoning_content"`
	Reasoning        *string        `json:"reasoning"`
	Refusal          *string        `json:"refusal"`
	ToolCalls        []chatToolCall `json:"tool_calls"`
}

// ParseResponse reads an OpenAI chat completion into the neutral form.
func ParseResponse(body []byte) (*provider.ChatResponse, error) {
	in, ok := scanChunk(body, &chunkScratch{}) // and its choices' messages
	if !ok {
		in = upstreamResponse{}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("decode OpenAI chat completion: %w", err)
		}
	}
	return answer(&in), nil
}

// answer is the neutral form of a decoded chat completion.
func answer(in *upstreamResponse) *provider.ChatResponse {
	r := &provider.ChatResponse{ID: in.ID, Model: in.Model, Created: in.Created}
	if len(in.Choices) > 0 {
		c := in.Choices[0]
		if c.Message != nil {
			if c.Message.Content != nil {
				r.Text = *c.Message.Content
			} else if c.Message.Refusal != nil {
				r.Text = *c.Message.Refusal
			}
			for _, tc := range c.Message.ToolCalls {
				r.ToolCalls = append(r.ToolCalls, provider.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
			}
			r.Reasoning = c.Message.reasoning()
		}
		if c.FinishReason != nil {
			r.FinishReason = *c.FinishReason
		}
	}
	if in.Usage != nil {
		r.Usage = in.Usage.neutral()
	}
	return r
}

// StreamDecoder turns OpenAI chunk payloads into neutral chunks. It is pure:
// feed it each data payload; [DONE] ends the stream.
type StreamDecoder struct {
	done     bool
	usage    provider.Usage
	hasUsage bool
	scratch  chunkScratch       // the scanner's reused parts, not state
	out      provider.ChatChunk // the chunk Decode returns, reused (valid until the next)
}

var _ provider.Decoder = (*StreamDecoder)(nil)

// Done reports whether [DONE] was seen.
func (d *StreamDecoder) Done() bool { return d.done }

// Usage returns the usage of the last chunk that had one.
func (d *StreamDecoder) Usage() (provider.Usage, bool) { return d.usage, d.hasUsage }

// Decode reads one data payload (chat completions events have no event
// name). It returns nil for events without content (the usage chunk,
// [DONE]). The chunk it returns is valid until the next call.
func (d *StreamDecoder) Decode(_ string, data []byte) (*provider.ChatChunk, error) {
	data = bytes.TrimSpace(data)
	if string(data) == "[DONE]" {
		d.done = true
		return nil, nil
	}
	in, ok := scanChunk(data, &d.scratch) // the hot path: most chunks are text
	if !ok {
		in = upstreamResponse{}
		if err := json.Unmarshal(data, &in); err != nil {
			return nil, fmt.Errorf("decode OpenAI stream chunk: %w", err)
		}
	}
	return d.chunk(&in)
}

// chunk is the neutral chunk of one decoded stream chunk.
func (d *StreamDecoder) chunk(in *upstreamResponse) (*provider.ChatChunk, error) {
	if in.Error != nil {
		// A failure after the 200 (vLLM and others send [DONE] after it):
		// the upstream failed, as a 5xx would have said before the stream.
		return nil, &provider.UpstreamError{Status: 500, Type: in.Error.Type, Message: in.Error.Message}
	}
	if in.Usage != nil {
		d.usage = in.Usage.neutral()
		d.hasUsage = true
	}
	if len(in.Choices) == 0 {
		return nil, nil
	}
	c := in.Choices[0]
	d.out = provider.ChatChunk{ID: in.ID, Model: in.Model}
	ch := &d.out
	if c.Delta != nil {
		ch.Role = c.Delta.Role
		if c.Delta.Content != nil {
			ch.Text = *c.Delta.Content
		}
		ch.Reasoning = c.Delta.reasoning()
		for i, tc := range c.Delta.ToolCalls {
			idx := i
			if tc.Index != nil {
				idx = *tc.Index
			}
			ch.ToolCalls = append(ch.ToolCalls, provider.ToolCallDelta{Index: idx, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
	if c.FinishReason != nil {
		ch.FinishReason = *c.FinishReason
	}
	return ch, nil
}

// ParseError reads an OpenAI error body's message.
func ParseError(body []byte) (typ, msg string) {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Code    any    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		typ = e.Error.Type
		if s, ok := e.Error.Code.(string); ok && s != "" {
			typ = s
		}
		return typ, e.Error.Message
	}
	return "", strconv.Quote(string(truncate(body, 300)))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// reasoning is a message's visible reasoning, under either name.
func (m *upstreamMessage) reasoning() string {
	switch {
	case m.ReasoningContent != nil:
		return *m.ReasoningContent
	case m.Reasoning != nil:
		return *m.Reasoning
	}
	return ""
}

// chatEffort is the reasoning_effort to send: the neutral effort, or one
// derived from a thinking budget.
func chatEffort(r *provider.ChatRequest) string {
	e := r.ReasoningEffort
	if e == "" {
		e = provider.EffortForBudget(r.ThinkingBudget)
	}
	switch e {
	case "xhigh", "max":
		return "high"
	}
	return e
}

// unmarshalUnless decodes raw into v with encoding/json, unless a scanner
// already did (done).
func unmarshalUnless(done bool, raw []byte, v any) error {
	if done {
		return nil
	}
	return json.Unmarshal(raw, v)
}
