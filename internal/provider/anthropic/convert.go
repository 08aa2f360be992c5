// Package anthropic speaks Anthropic's Messages API (POST /v1/messages):
// outbound, it turns a neutral chat request into a Messages request and the
// answer and its event stream (message_start, content_block_start/delta/stop,
// message_delta, message_stop) back into neutral form; inbound, it reads a
// Claude client's request into the neutral form and renders a neutral answer
// as a Message or as that same event sequence. convert.go is pure;
// client.go is the transport.
package anthropic

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
)

// Name is the provider name used in messages.
const Name = "Anthropic"

// Version is the anthropic-version header sent upstream.
const Version = "2023-06-01"

// fallbackMaxTokens is used when neither the client nor the catalogue gives
// an output limit: the Messages API requires one.
const fallbackMaxTokens = 4096

type request struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	System        json.RawMessage `json:"system,omitempty"`
	Messages      []message       `json:"messages"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Tools         []tool          `json:"tools,omitempty"`
	ToolChoice    *toolChoice     `json:"tool_choice,omitempty"`
	Metadata      *metadata       `json:"metadata,omitempty"`
	OutputConfig  *outputConfig   `json:"output_config,omitempty"`
}

// outputConfig carries structured outputs: format {type: json_schema, schema}.
type outputConfig struct {
	Format *struct {
		Type   string          `json:"type"`
		Schema json.RawMessage `json:"schema,omitempty"`
	} `json:"format,omitempty"`
	Effort string `json:"effort,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id,omitempty"`
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type block struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Source    *source         `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
}

type source struct {
	Type      string `json:"type"` // base64 | url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Type        string          `json:"type,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
}

type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use,omitempty"`
}

func str(s string) *string { return &s }

var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// ToRequest renders a neutral request as a Messages API body.
func ToRequest(r *provider.ChatRequest) ([]byte, error) {
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	var oc *outputConfig
	if f := r.ResponseFormat; f != nil {
		if f.Type != "json_schema" || len(f.Schema) == 0 {
			return nil, provider.Unsupported(Name, "response_format",
				fmt.Sprintf("Anthropic structured outputs need a JSON schema; type %q has none (use json_schema)", f.Type))
		}
		oc = &outputConfig{}
		oc.Format = &struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema,omitempty"`
		}{Type: "json_schema", Schema: f.Schema}
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1) {
		return nil, provider.Unsupported(Name, "temperature", fmt.Sprintf("Anthropic accepts 0 to 1, not %g", *r.Temperature))
	}
	out := request{Model: r.Model, MaxTokens: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK,
		StopSequences: r.Stop, Stream: r.Stream, OutputConfig: oc}
	if out.MaxTokens <= 0 {
		out.MaxTokens = r.DefaultMaxTokens
	}
	if out.MaxTokens <= 0 {
		out.MaxTokens = fallbackMaxTokens
	}
	if r.User != "" {
		out.Metadata = &metadata{UserID: r.User}
	}
	for _, t := range r.Tools {
		s := t.Parameters
		if len(s) == 0 || string(s) == "null" {
			s = emptySchema
		}
		out.Tools = append(out.Tools, tool{Name: t.Name, Description: t.Description, InputSchema: s})
	}
	if tc := r.ToolChoice; tc != nil {
		switch tc.Mode {
		case provider.ToolAuto:
			out.ToolChoice = &toolChoice{Type: "auto"}
		case provider.ToolNone:
			out.ToolChoice = &toolChoice{Type: "none"}
		case provider.ToolRequired:
			out.ToolChoice = &toolChoice{Type: "any"}
		case provider.ToolNamed:
			out.ToolChoice = &toolChoice{Type: "tool", Name: tc.Name}
		}
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls && len(r.Tools) > 0 {
		if out.ToolChoice == nil {
			out.ToolChoice = &toolChoice{Type: "auto"}
		}
		if out.ToolChoice.Type != "none" {
			t := true
			out.ToolChoice.DisableParallelToolUse = &t
		}
	}
	var system []block
	var msgs []turn
	for i, m := range r.Messages {
		if m.Role == provider.RoleSystem {
			for _, p := range m.Parts {
				if p.Type != provider.PartText {
					return nil, provider.Unsupported(Name, fmt.Sprintf("messages[%d].content", i), "system content must be text")
				}
				if p.Text != "" {
					system = append(system, block{Type: "text", Text: str(p.Text)})
				}
			}
			continue
		}
		role := m.Role
		var blocks []block
		switch m.Role {
		case provider.RoleTool:
			role = "user"
			text := m.Text()
			b := block{Type: "tool_result", ToolUseID: m.ToolCallID, IsError: m.IsError}
			if text != "" {
				b.Content = provider.AppendString(nil, text)
			}
			blocks = append(blocks, b)
		case provider.RoleUser, provider.RoleAssistant:
			for _, p := range m.Parts {
				switch p.Type {
				case provider.PartText:
					if p.Text != "" {
						blocks = append(blocks, block{Type: "text", Text: str(p.Text)})
					}
				case provider.PartImage:
					if p.URL != "" {
						blocks = append(blocks, block{Type: "image", Source: &source{Type: "url", URL: p.URL}})
					} else {
						blocks = append(blocks, block{Type: "image", Source: &source{Type: "base64", MediaType: p.MediaType, Data: p.Data}})
					}
				}
			}
			for j, tc := range m.ToolCalls {
				in := json.RawMessage(tc.Arguments)
				if strings.TrimSpace(tc.Arguments) == "" {
					in = json.RawMessage(`{}`)
				}
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(in, &obj); err != nil {
					return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments", i, j),
						"messages[%d].tool_calls[%d].function.arguments is not a JSON object; Anthropic needs tool input as an object", i, j)
				}
				blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: in})
			}
		default:
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] has role %q", i, m.Role)
		}
		if len(blocks) == 0 {
			if role == "assistant" {
				continue // an empty assistant turn carries nothing
			}
			blocks = []block{{Type: "text", Text: str(" ")}}
		}
		// Consecutive turns of one role are merged: tool results that
		// answer parallel calls belong in one user turn.
		if n := len(msgs); n > 0 && msgs[n-1].role == role {
			msgs[n-1].blocks = append(msgs[n-1].blocks, blocks...)
			continue
		}
		msgs = append(msgs, turn{role: role, blocks: blocks})
	}
	if len(msgs) == 0 {
		return nil, provider.Invalid("messages", "the request has no user or assistant message; Anthropic needs at least one")
	}
	return appendRequest(make([]byte, 0, r.SizeHint()), &out, system, msgs)
}

// turn is one message of a Messages request, before it is encoded.
type turn struct {
	role   string
	blocks []block
}

// errEncode is a request value json.Marshal refuses (a float that is not
// finite, raw JSON that is not valid).
var errEncode = fmt.Errorf("encode Anthropic request: a value is not valid JSON")

// appendRequest appends the Messages body of out (its messages given as
// turns, the system blocks apart) by appending bytes: what json.Marshal
// gave for the request struct (TestToRequestAsMarshalled,
// FuzzToRequest).
func appendRequest(dst []byte, out *request, system []block, msgs []turn) ([]byte, error) {
	ok := true
	dst = append(dst, `{"model":`...)
	dst = provider.AppendString(dst, out.Model)
	dst = append(dst, `,"max_tokens":`...)
	dst = strconv.AppendInt(dst, int64(out.MaxTokens), 10)
	if len(system) == 1 {
		dst = append(dst, `,"system":`...)
		dst = provider.AppendString(dst, *system[0].Text)
	} else if len(system) > 1 {
		dst = append(dst, `,"system":`...)
		if dst, ok = appendBlocks(dst, system); !ok {
			return nil, errEncode
		}
	}
	dst = append(dst, `,"messages":[`...)
	for i, m := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"role":`...)
		dst = provider.AppendString(dst, m.role)
		dst = append(dst, `,"content":`...)
		if dst, ok = appendBlocks(dst, m.blocks); !ok {
			return nil, errEncode
		}
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	for _, f := range [...]struct {
		name string
		v    *float64
	}{{`,"temperature":`, out.Temperature}, {`,"top_p":`, out.TopP}} {
		if f.v != nil {
			dst = append(dst, f.name...)
			if dst, ok = provider.AppendFloat(dst, *f.v); !ok {
				return nil, errEncode
			}
		}
	}
	if out.TopK != nil {
		dst = append(dst, `,"top_k":`...)
		dst = strconv.AppendInt(dst, int64(*out.TopK), 10)
	}
	if len(out.StopSequences) > 0 {
		dst = append(dst, `,"stop_sequences":[`...)
		for i, s := range out.StopSequences {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = provider.AppendString(dst, s)
		}
		dst = append(dst, ']')
	}
	if out.Stream {
		dst = append(dst, `,"stream":true`...)
	}
	if len(out.Tools) > 0 {
		dst = append(dst, `,"tools":[`...)
		for i, t := range out.Tools {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			if t.Type != "" {
				dst = append(dst, `"type":`...)
				dst = provider.AppendString(dst, t.Type)
				dst = append(dst, ',')
			}
			dst = append(dst, `"name":`...)
			dst = provider.AppendString(dst, t.Name)
			if t.Description != "" {
				dst = append(dst, `,"description":`...)
				dst = provider.AppendString(dst, t.Description)
			}
			if len(t.InputSchema) > 0 {
				dst = append(dst, `,"input_schema":`...)
				if dst, ok = provider.AppendCompact(dst, t.InputSchema); !ok {
					return nil, errEncode
				}
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if tc := out.ToolChoice; tc != nil {
		dst = append(dst, `,"tool_choice":{"type":`...)
		dst = provider.AppendString(dst, tc.Type)
		if tc.Name != "" {
			dst = append(dst, `,"name":`...)
			dst = provider.AppendString(dst, tc.Name)
		}
		if tc.DisableParallelToolUse != nil {
			dst = append(dst, `,"disable_parallel_tool_use":`...)
			dst = strconv.AppendBool(dst, *tc.DisableParallelToolUse)
		}
		dst = append(dst, '}')
	}
	if md := out.Metadata; md != nil {
		dst = append(dst, `,"metadata":{`...)
		if md.UserID != "" {
			dst = append(dst, `"user_id":`...)
			dst = provider.AppendString(dst, md.UserID)
		}
		dst = append(dst, '}')
	}
	if oc := out.OutputConfig; oc != nil {
		dst = append(dst, `,"output_config":{`...)
		n := len(dst)
		if f := oc.Format; f != nil {
			dst = append(dst, `"format":{"type":`...)
			dst = provider.AppendString(dst, f.Type)
			if len(f.Schema) > 0 {
				dst = append(dst, `,"schema":`...)
				if dst, ok = provider.AppendCompact(dst, f.Schema); !ok {
					return nil, errEncode
				}
			}
			dst = append(dst, '}')
		}
		if oc.Effort != "" {
			if len(dst) > n {
				dst = append(dst, ',')
			}
			dst = append(dst, `"effort":`...)
			dst = provider.AppendString(dst, oc.Effort)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// appendBlocks appends content blocks as json.Marshal writes a []block.
func appendBlocks(dst []byte, blocks []block) ([]byte, bool) {
	dst = append(dst, '[')
	for i := range blocks {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = appendBlock(dst, &blocks[i]); !ok {
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// appendBlock appends b as json.Marshal writes a block.
func appendBlock(dst []byte, b *block) ([]byte, bool) {
	ok := true
	dst = append(dst, `{"type":`...)
	dst = provider.AppendString(dst, b.Type)
	if b.Text != nil {
		dst = append(dst, `,"text":`...)
		dst = provider.AppendString(dst, *b.Text)
	}
	if s := b.Source; s != nil {
		dst = append(dst, `,"source":{"type":`...)
		dst = provider.AppendString(dst, s.Type)
		for _, f := range [...]struct{ name, v string }{{`,"media_type":`, s.MediaType}, {`,"data":`, s.Data}, {`,"url":`, s.URL}} {
			if f.v != "" {
				dst = append(dst, f.name...)
				dst = provider.AppendString(dst, f.v)
			}
		}
		dst = append(dst, '}')
	}
	if b.ID != "" {
		dst = append(dst, `,"id":`...)
		dst = provider.AppendString(dst, b.ID)
	}
	if b.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = provider.AppendString(dst, b.Name)
	}
	if len(b.Input) > 0 {
		dst = append(dst, `,"input":`...)
		if dst, ok = provider.AppendCompact(dst, b.Input); !ok {
			return dst, false
		}
	}
	if b.ToolUseID != "" {
		dst = append(dst, `,"tool_use_id":`...)
		dst = provider.AppendString(dst, b.ToolUseID)
	}
	if len(b.Content) > 0 {
		dst = append(dst, `,"content":`...)
		if dst, ok = provider.AppendCompact(dst, b.Content); !ok {
			return dst, false
		}
	}
	if b.IsError {
		dst = append(dst, `,"is_error":true`...)
	}
	if b.Thinking != nil {
		dst = append(dst, `,"thinking":`...)
		dst = provider.AppendString(dst, *b.Thinking)
	}
	if b.Signature != nil {
		dst = append(dst, `,"signature":`...)
		dst = provider.AppendString(dst, *b.Signature)
	}
	return append(dst, '}'), true
}

type response struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Role         string  `json:"role"`
	Model        string  `json:"model"`
	Content      []block `json:"content"`
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
	Usage        usage   `json:"usage"`
}

type usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens,omitempty"`
}

func (u usage) input() int {
	return u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
}

// neutral is u in the gateway's convention: Anthropic's input_tokens
// exclude the cache reads and writes, the neutral input includes them.
func (u usage) neutral() provider.Usage {
	return provider.Usage{InputTokens: u.input(), OutputTokens: u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens, CacheWriteTokens: u.CacheCreationInputTokens}
}

// wireUsage is u as Anthropic writes it: input_tokens without the cache
// reads and writes, which have their own members.
func wireUsage(u provider.Usage) usage {
	return usage{InputTokens: u.InputTokens - u.CachedInputTokens - u.CacheWriteTokens, OutputTokens: u.OutputTokens,
		CacheReadInputTokens: u.CachedInputTokens, CacheCreationInputTokens: u.CacheWriteTokens}
}

// finishReason maps a stop_reason to the neutral vocabulary.
func finishReason(s string) string {
	switch s {
	case "max_tokens", "model_context_window_exceeded":
		return provider.FinishLength
	case "tool_use":
		return provider.FinishToolCalls
	case "refusal":
		return provider.FinishContentFilter
	}
	return provider.FinishStop // end_turn, stop_sequence, pause_turn
}

// stopReason maps a neutral finish reason to a stop_reason.
func stopReason(s string) string {
	switch s {
	case provider.FinishLength:
		return "max_tokens"
	case provider.FinishToolCalls:
		return "tool_use"
	case provider.FinishContentFilter:
		return "refusal"
	}
	return "end_turn"
}

// ParseResponse reads a Message into the neutral form.
func ParseResponse(body []byte) (*provider.ChatResponse, error) {
	in, ok := scanResponse(body)
	if !ok {
		in = response{}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("decode Anthropic message: %w", err)
		}
	}
	return answer(&in), nil
}

// answer is the neutral form of a decoded Message.
func answer(in *response) *provider.ChatResponse {
	r := &provider.ChatResponse{ID: in.ID, Model: in.Model,
		Usage: in.Usage.neutral()}
	for _, b := range in.Content {
		switch b.Type {
		case "text":
			if b.Text != nil {
				r.Text += *b.Text
			}
		case "tool_use":
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			r.ToolCalls = append(r.ToolCalls, provider.ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		}
	}
	if in.StopReason != nil {
		r.FinishReason = finishReason(*in.StopReason)
	}
	return r
}

// ParseError reads an Anthropic error body: {"type":"error","error":{"type","message"}}.
func ParseError(body []byte) (typ, msg string) {
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		return e.Error.Type, e.Error.Message
	}
	return "", ""
}

// errorStatus maps an in-stream error type to the HTTP status it stands for.
func errorStatus(typ string) int {
	switch typ {
	case "overloaded_error":
		return 529
	case "rate_limit_error":
		return 429
	case "api_error":
		return 500
	case "authentication_error":
		return 401
	case "permission_error":
		return 403
	case "request_too_large":
		return 413
	case "not_found_error":
		return 404
	}
	return 400
}

type streamEvent struct {
	Type         string          `json:"type"`
	Message      *response       `json:"message,omitempty"`
	Index        int             `json:"index"`
	ContentBlock *block          `json:"content_block,omitempty"`
	Delta        json.RawMessage `json:"delta,omitempty"`
	Usage        *usage          `json:"usage,omitempty"`
	Error        *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type delta struct {
	Type        string  `json:"type"`
	Text        string  `json:"text"`
	PartialJSON string  `json:"partial_json"`
	StopReason  *string `json:"stop_reason"`
}

// StreamDecoder turns Messages stream events into neutral chunks.
type StreamDecoder struct {
	id, model string
	tools     map[int]int // content block index → tool call index
	usage     provider.Usage
	hasUsage  bool
	done      bool

	// out and call are the chunk the scanner returns and its tool call,
	// reused from one event to the next (a chunk is valid until the next
	// Decode): not state.
	out  provider.ChatChunk
	call [1]provider.ToolCallDelta
}

// emit returns the reused chunk, emptied, with the stream's id and model.
func (d *StreamDecoder) emit() *provider.ChatChunk {
	d.out = provider.ChatChunk{ID: d.id, Model: d.model}
	return &d.out
}

// Done reports whether message_stop was seen.
func (d *StreamDecoder) Done() bool { return d.done }

// Usage returns the usage seen so far (input from message_start, output
// from the last message_delta: Anthropic's counts are cumulative).
func (d *StreamDecoder) Usage() (provider.Usage, bool) { return d.usage, d.hasUsage }

// Decode reads one event. The chunk it returns is valid until the next
// call.
func (d *StreamDecoder) Decode(_ string, data []byte) (*provider.ChatChunk, error) {
	if c, ok := d.scanEvent(data); ok {
		return c, nil
	}
	return d.decodeEvent(data)
}

// decodeEvent reads one event with encoding/json.
func (d *StreamDecoder) decodeEvent(data []byte) (*provider.ChatChunk, error) {
	var ev streamEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("decode Anthropic stream event: %w", err)
	}
	switch ev.Type {
	case "message_start":
		if ev.Message == nil {
			return nil, fmt.Errorf("decode Anthropic stream: message_start without a message")
		}
		d.id, d.model = ev.Message.ID, ev.Message.Model
		d.usage = ev.Message.Usage.neutral()
		d.hasUsage = true
		return &provider.ChatChunk{ID: d.id, Model: d.model, Role: provider.RoleAssistant}, nil
	case "content_block_start":
		if ev.ContentBlock == nil {
			return nil, nil
		}
		switch ev.ContentBlock.Type {
		case "tool_use":
			if d.tools == nil {
				d.tools = map[int]int{}
			}
			n := len(d.tools)
			d.tools[ev.Index] = n
			c := &provider.ChatChunk{ID: d.id, Model: d.model, ToolCalls: []provider.ToolCallDelta{{Index: n, ID: ev.ContentBlock.ID, Name: ev.ContentBlock.Name}}}
			if in := string(ev.ContentBlock.Input); in != "" && in != "{}" && in != "null" {
				c.ToolCalls[0].Arguments = in
			}
			return c, nil
		case "text":
			if ev.ContentBlock.Text != nil && *ev.ContentBlock.Text != "" {
				return &provider.ChatChunk{ID: d.id, Model: d.model, Text: *ev.ContentBlock.Text}, nil
			}
		}
		return nil, nil
	case "content_block_delta":
		var dl delta
		if err := json.Unmarshal(ev.Delta, &dl); err != nil {
			return nil, fmt.Errorf("decode Anthropic content_block_delta: %w", err)
		}
		switch dl.Type {
		case "text_delta":
			if dl.Text == "" {
				return nil, nil
			}
			return &provider.ChatChunk{ID: d.id, Model: d.model, Text: dl.Text}, nil
		case "input_json_delta":
			n, ok := d.tools[ev.Index]
			if !ok || dl.PartialJSON == "" {
				return nil, nil
			}
			return &provider.ChatChunk{ID: d.id, Model: d.model, ToolCalls: []provider.ToolCallDelta{{Index: n, Arguments: dl.PartialJSON}}}, nil
		}
		return nil, nil // thinking, signature, citations: nothing for a chat client
	case "message_delta":
		var dl delta
		_ = json.Unmarshal(ev.Delta, &dl)
		return d.messageDelta(ev.Usage, dl.StopReason, false), nil
	case "message_stop":
		d.done = true
		return nil, nil
	case "error":
		e := &provider.UpstreamError{Status: 500, Message: "error event without details"}
		if ev.Error != nil {
			e.Status, e.Type, e.Message = errorStatus(ev.Error.Type), ev.Error.Type, ev.Error.Message
		}
		return nil, e
	}
	return nil, nil // ping, content_block_stop, unknown future events
}

// messageDelta takes in a message_delta event's usage and stop reason
// (mapped already when mapped is set).
func (d *StreamDecoder) messageDelta(eu *usage, stop *string, mapped bool) *provider.ChatChunk {
	if eu != nil {
		d.usage.OutputTokens = eu.OutputTokens
		if eu.input() > 0 {
			// Newer message_delta events repeat the input counts, all
			// cumulative: a count only grows, and one left out keeps
			// what message_start said.
			u := &d.usage
			read, write := max(u.CachedInputTokens, eu.CacheReadInputTokens), max(u.CacheWriteTokens, eu.CacheCreationInputTokens)
			plain := max(u.InputTokens-u.CachedInputTokens-u.CacheWriteTokens, eu.InputTokens)
			u.InputTokens, u.CachedInputTokens, u.CacheWriteTokens = plain+read+write, read, write
		}
		d.hasUsage = true
	}
	if stop == nil {
		return nil
	}
	c := d.emit()
	if c.FinishReason = *stop; !mapped {
		c.FinishReason = finishReason(*stop)
	}
	return c
}

// scanEvent reads the events of a text or tool-call stream with jsonscan,
// in one pass over the event's members — content_block_delta of text or
// tool-call JSON (most of a stream), ping, message_start,
// content_block_start of a text block, content_block_stop, message_delta
// and message_stop — and is not ok for any other event or anything
// encoding/json could read differently (a member it reads named in
// another case or twice, a value of another kind, a member of the event
// it does not check): decodeEvent then reads it. ok with a nil chunk is an
// event with nothing for the client.
func (d *StreamDecoder) scanEvent(data []byte) (*provider.ChatChunk, bool) {
	var typ, index, dl, block, eu, msg []byte
	var seen [6]bool
	end, valid := jsonscan.Members(data, jsonscan.Space(data, 0), func(key, val []byte) bool {
		switch string(key) {
		case "type":
			typ = val
			return once(&seen[0])
		case "index":
			index = val
			return once(&seen[1])
		case "delta":
			dl = val
			return once(&seen[2])
		case "content_block":
			block = val
			return once(&seen[3])
		case "usage":
			eu = val
			return once(&seen[4])
		case "message":
			msg = val
			return once(&seen[5])
		}
		// error is left to encoding/json, as is any name it would read
		// as one of these.
		return !foldsTo(key, "type", "index", "delta", "message", "content_block", "usage", "error")
	})
	if !valid || jsonscan.Space(data, end) != len(data) || typ == nil {
		return nil, false
	}
	t, ok := jsonscan.String(typ)
	if !ok {
		return nil, false
	}
	idx := 0
	if index != nil { // an int for encoding/json, or its error
		if idx, ok = jsonscan.Int(index); !ok {
			return nil, false
		}
	}
	// Members the event's type has no use for must still decode (or
	// encoding/json fails the event): only a delta, raw bytes, always does.
	switch string(t) {
	case "content_block_delta":
		if block != nil || eu != nil || msg != nil || index == nil || len(dl) == 0 || dl[0] != '{' {
			return nil, false
		}
		typ, text, ok := scanDelta(dl)
		if !ok {
			return nil, false
		}
		switch typ {
		case "text_delta":
			if len(text) == 0 {
				return nil, true
			}
			c := d.emit()
			c.Text = string(text)
			return c, true
		case "input_json_delta":
			n, ok := d.tools[idx]
			if !ok || len(text) == 0 {
				return nil, true
			}
			c := d.emit()
			d.call[0] = provider.ToolCallDelta{Index: n, Arguments: string(text)}
			c.ToolCalls = d.call[:1]
			return c, true
		}
		return nil, false // thinking and the rest: decodeEvent
	case "message_start":
		if block != nil || eu != nil || msg == nil {
			return nil, false
		}
		id, model, u, ok := scanMessageStart(msg)
		if !ok {
			return nil, false
		}
		d.id, d.model = id, model
		d.usage = u.neutral()
		d.hasUsage = true
		c := d.emit()
		c.Role = provider.RoleAssistant
		return c, true
	case "ping", "content_block_stop", "message_stop":
		if block != nil || eu != nil || msg != nil {
			return nil, false
		}
		if string(t) == "message_stop" {
			d.done = true
		}
		return nil, true
	case "content_block_start":
		if eu != nil || msg != nil || block == nil {
			return nil, false
		}
		text, ok := scanTextBlock(block)
		if !ok {
			return nil, false
		}
		if len(text) == 0 {
			return nil, true
		}
		c := d.emit()
		c.Text = string(text)
		return c, true
	case "message_delta":
		if block != nil || msg != nil {
			return nil, false
		}
		var u *usage
		var eventUsage usage
		if eu != nil && string(eu) != "null" {
			u = &eventUsage
			if !scanUsage(eu, u) {
				return nil, false
			}
		}
		var stop *string
		var reason string
		if dl != nil && string(dl) != "null" {
			r, set, ok := scanStopReason(dl)
			if !ok {
				return nil, false
			}
			if set {
				reason = finishReason(string(r)) // a constant: no string made of r
				stop = &reason
			}
		}
		return d.messageDelta(u, stop, true), true
	}
	return nil, false
}

// scanMessageStart reads message_start's message: its id, model and usage.
// Not ok when it has content (a block list encoding/json must check), or a
// member of the response struct of another kind.
func scanMessageStart(b []byte) (id, model string, u usage, ok bool) {
	var seen [8]bool
	str := func(val []byte, dst *string, nullOK bool) bool {
		if nullOK && string(val) == "null" {
			return true
		}
		v, ok := jsonscan.String(val)
		if ok && dst != nil {
			*dst = string(v)
		}
		return ok
	}
	_, ok = jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "id":
			return once(&seen[0]) && str(val, &id, true)
		case "model":
			return once(&seen[1]) && str(val, &model, true)
		case "type":
			return once(&seen[2]) && str(val, nil, true)
		case "role":
			return once(&seen[3]) && str(val, nil, true)
		case "stop_reason":
			return once(&seen[4]) && str(val, nil, true)
		case "stop_sequence":
			return once(&seen[5]) && str(val, nil, true)
		case "content":
			return once(&seen[6]) && (string(val) == "null" || string(val) == "[]")
		case "usage":
			return once(&seen[7]) && (string(val) == "null" || scanUsage(val, &u))
		}
		return !foldsTo(key, "id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage")
	})
	return id, model, u, ok
}

// scanTextBlock reads a content_block of type text: its text (empty when
// null or absent). Not ok for another type or a member of the block
// struct it does not check.
func scanTextBlock(b []byte) ([]byte, bool) {
	var typ, text []byte
	var seen [2]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "type":
			var ok bool
			typ, ok = jsonscan.String(val)
			return once(&seen[0]) && ok
		case "text":
			if !once(&seen[1]) {
				return false
			}
			if string(val) == "null" {
				text = nil
				return true
			}
			var ok bool
			text, ok = jsonscan.String(val)
			return ok
		}
		return !foldsTo(key, "type", "text", "source", "id", "name", "input", "tool_use_id", "content", "is_error", "thinking", "signature")
	})
	return text, ok && string(typ) == "text"
}

// scanUsage reads a usage object's counts into u.
func scanUsage(b []byte, u *usage) bool {
	var seen [4]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		var ok bool
		switch string(key) {
		case "input_tokens":
			u.InputTokens, ok = jsonscan.Int(val)
			return once(&seen[0]) && ok
		case "output_tokens":
			u.OutputTokens, ok = jsonscan.Int(val)
			return once(&seen[1]) && ok
		case "cache_creation_input_tokens":
			u.CacheCreationInputTokens, ok = jsonscan.Int(val)
			return once(&seen[2]) && ok
		case "cache_read_input_tokens":
			u.CacheReadInputTokens, ok = jsonscan.Int(val)
			return once(&seen[3]) && ok
		}
		return !foldsTo(key, "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
	})
	return ok
}

// scanStopReason reads a message_delta's delta for its stop_reason (set
// for a string, not for null or absent). The delta's other members are
// read by encoding/json with their errors ignored, so only stop_reason
// (and any name read as it) matters.
func scanStopReason(b []byte) (stop []byte, set, ok bool) {
	seen := false
	_, ok = jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "stop_reason":
			if seen {
				return false
			}
			seen = true
			if string(val) == "null" {
				return true
			}
			var ok bool
			stop, ok = jsonscan.String(val)
			set = ok
			return ok
		}
		return !foldsTo(key, "stop_reason")
	})
	return stop, set, ok
}

// once marks a member seen; not ok the second time.
func once(seen *bool) bool {
	if *seen {
		return false
	}
	*seen = true
	return true
}

// scanDelta reads a content_block_delta's delta of text or tool-call
// JSON: its type and its text (text_delta) or partial_json
// (input_json_delta). It is not ok for anything encoding/json could read
// differently (a member named in another case, a value of another kind)
// nor for a delta of another type: decodeEvent then reads the event.
func scanDelta(dl []byte) (typ string, text []byte, ok bool) {
	var dtype, dtext, djson []byte
	var textOK, jsonOK bool
	if _, valid := jsonscan.Members(dl, 0, func(key, val []byte) bool {
		switch string(key) {
		case "type":
			dtype, ok = jsonscan.String(val)
			return ok
		case "text":
			dtext, textOK = jsonscan.String(val)
			return textOK
		case "partial_json":
			djson, jsonOK = jsonscan.String(val)
			return jsonOK
		}
		return !foldsTo(key, "type", "text", "partial_json", "stop_reason")
	}); !valid {
		return "", nil, false
	}
	switch string(dtype) {
	case "text_delta":
		return "text_delta", dtext, true
	case "input_json_delta":
		return "input_json_delta", djson, true
	}
	return "", nil, false
}

// foldsTo reports whether key is one of names in another case, which
// encoding/json would read as that name.
func foldsTo(key []byte, names ...string) bool { return jsonscan.FoldsAny(key, names...) }

// --- inbound: a Claude client's request and the answer rendered for it ---

type inRequest struct {
	Model         string          `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	System        json.RawMessage `json:"system"`
	Messages      []message       `json:"messages"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        bool            `json:"stream"`
	Tools         []tool          `json:"tools"`
	ToolChoice    *toolChoice     `json:"tool_choice"`
	Metadata      *metadata       `json:"metadata"`
	Thinking      *struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	} `json:"thinking"`
	OutputConfig *outputConfig `json:"output_config"`
}

var (
	inMapped = map[string]bool{"model": true, "max_tokens": true, "system": true, "messages": true, "temperature": true,
		"top_p": true, "top_k": true, "stop_sequences": true, "stream": true, "tools": true, "tool_choice": true,
		"metadata": true, "thinking": true, "output_config": true}
	inIgnored = map[string]bool{"service_tier": true}
)

func knownMember(k string) bool { return inMapped[k] || inIgnored[k] }

// ParseRequest reads a Messages API request into the neutral form. It is
// used when a Claude client's call goes to a non-Anthropic channel.
func ParseRequest(body []byte) (*provider.ChatRequest, error) {
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
func decodeRequest(body []byte) (inRequest, []string, error) {
	extra, ok := provider.ExtraMembers(body, knownMember)
	if !ok {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil {
			return inRequest{}, nil, provider.Invalid("", "the request body is not a JSON object: %v", err)
		}
		extra = extra[:0]
		for k, v := range members {
			if !knownMember(k) && string(v) != "null" {
				extra = append(extra, k)
			}
		}
	}
	var in inRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return inRequest{}, nil, provider.Invalid("", "the request body does not match the Messages API format: %v", err)
	}
	return in, extra, nil
}

// neutralRequest is the neutral form of a decoded request.
func neutralRequest(in *inRequest, extra []string) (*provider.ChatRequest, error) {
	r := &provider.ChatRequest{Model: in.Model, Temperature: in.Temperature, TopP: in.TopP, TopK: in.TopK,
		Stop: in.StopSequences, Stream: in.Stream, IncludeUsage: true}
	// Members with no neutral form (context_management, container,
	// mcp_servers, future betas) change nothing a client relies on, and
	// Claude Code sends some on every call: left out, named in the
	// DroppedHeader, never refused.
	r.Dropped = append(r.Dropped, extra...)
	if t := in.Thinking; t != nil {
		switch t.Type {
		case "enabled":
			r.ThinkingBudget, r.IncludeThoughts = t.BudgetTokens, true
			r.ReasoningEffort = provider.EffortForBudget(t.BudgetTokens)
		case "adaptive":
			r.IncludeThoughts = true // the model decides how much; its reasoning shown
		}
	}
	if oc := in.OutputConfig; oc != nil {
		if oc.Effort != "" {
			r.ReasoningEffort = oc.Effort
		}
		if oc.Format != nil {
			if oc.Format.Type != "json_schema" {
				return nil, provider.Invalid("output_config.format.type", "output_config.format.type %q is not json_schema", oc.Format.Type)
			}
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", Name: "response", Schema: oc.Format.Schema, Strict: true}
		}
	}
	sort.Strings(r.Unmapped)
	sort.Strings(r.Dropped)
	if in.MaxTokens == nil {
		return nil, provider.Invalid("max_tokens", "max_tokens is required by the Messages API")
	}
	r.MaxTokens = *in.MaxTokens
	if in.Metadata != nil {
		r.User = in.Metadata.UserID
	}
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "custom" {
			return nil, provider.Unsupported("this channel", fmt.Sprintf("tools[%d]", i),
				fmt.Sprintf("Anthropic server tool %q only runs on Anthropic channels", t.Type))
		}
		r.Tools = append(r.Tools, provider.Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	if tc := in.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolAuto}
		case "any":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolRequired}
		case "none":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolNone}
		case "tool":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolNamed, Name: tc.Name}
		default:
			return nil, provider.Invalid("tool_choice.type", "tool_choice.type %q is not one of auto, any, tool, none", tc.Type)
		}
		if tc.DisableParallelToolUse != nil && *tc.DisableParallelToolUse {
			f := false
			r.ParallelToolCalls = &f
		}
	}
	if len(in.System) > 0 && string(in.System) != "null" {
		parts, err := parseBlocksText(in.System, "system")
		if err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, provider.Message{Role: provider.RoleSystem, Parts: parts})
	}
	for i, m := range in.Messages {
		if m.Role == "system" {
			// A mid-conversation system message (beta
			// mid-conversation-system): the target's system form, in place.
			parts, err := parseBlocksText(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return nil, err
			}
			r.Messages = append(r.Messages, provider.Message{Role: provider.RoleSystem, Parts: parts})
			continue
		}
		if m.Role != "user" && m.Role != "assistant" {
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d].role must be user, assistant or system, not %q", i, m.Role)
		}
		msgs, err := parseInMessage(i, m)
		if err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, msgs...)
	}
	return r, nil
}

// parseBlocksText reads a string or an array of text blocks.
func parseBlocksText(raw json.RawMessage, where string) ([]provider.Part, error) {
	s, blocks, isStr, ok := decodeContent(raw)
	if isStr {
		return []provider.Part{{Type: provider.PartText, Text: s}}, nil
	}
	if !ok {
		return nil, provider.Invalid(where, "%s must be a string or an array of text blocks", where)
	}
	var out []provider.Part
	for j, b := range blocks {
		if b.Type != "text" || b.Text == nil {
			return nil, provider.Invalid(fmt.Sprintf("%s[%d]", where, j), "%s[%d] has type %q; only text blocks can be converted here", where, j, b.Type)
		}
		out = append(out, provider.Part{Type: provider.PartText, Text: *b.Text})
	}
	return out, nil
}

// parseInMessage turns one Messages turn into neutral messages: tool_result
// blocks become tool messages, in order, before the turn's other content.
func parseInMessage(i int, m message) ([]provider.Message, error) {
	s, blocks, isStr, ok := decodeContent(m.Content)
	if isStr {
		return []provider.Message{{Role: m.Role, Parts: []provider.Part{{Type: provider.PartText, Text: s}}}}, nil
	}
	if !ok {
		return nil, provider.Invalid(fmt.Sprintf("messages[%d].content", i), "messages[%d].content must be a string or an array of content blocks", i)
	}
	var out []provider.Message
	cur := provider.Message{Role: m.Role}
	for j, b := range blocks {
		where := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch b.Type {
		case "text":
			if b.Text != nil {
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartText, Text: *b.Text})
			}
		case "image":
			if b.Source == nil {
				return nil, provider.Invalid(where, "%s is an image block without a source", where)
			}
			switch b.Source.Type {
			case "base64":
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartImage, MediaType: b.Source.MediaType, Data: b.Source.Data})
			case "url":
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartImage, URL: b.Source.URL})
			default:
				return nil, provider.Unsupported("this channel", where, fmt.Sprintf("image source type %q only works on Anthropic channels", b.Source.Type))
			}
		case "tool_use":
			if m.Role != "assistant" {
				return nil, provider.Invalid(where, "%s: tool_use blocks belong in assistant turns", where)
			}
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			cur.ToolCalls = append(cur.ToolCalls, provider.ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		case "tool_result":
			tm := provider.Message{Role: provider.RoleTool, ToolCallID: b.ToolUseID, IsError: b.IsError}
			if len(b.Content) > 0 && string(b.Content) != "null" {
				parts, err := parseBlocksText(b.Content, where+".content")
				if err != nil {
					return nil, err
				}
				tm.Parts = parts
			}
			out = append(out, tm)
		case "thinking", "redacted_thinking":
			// A previous turn's reasoning: meaningful only to Anthropic.
		default:
			return nil, provider.Unsupported("this channel", where, fmt.Sprintf("content block type %q only works on Anthropic channels", b.Type))
		}
	}
	if len(cur.Parts) > 0 || len(cur.ToolCalls) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// RenderResponse renders a neutral answer as a Message, by appending
// bytes: what json.Marshal gave for the response struct
// (TestRenderResponseAsMarshalled, FuzzRenderResponse).
func RenderResponse(r *provider.ChatResponse, model string) []byte {
	return appendResponse(nil, r, model)
}

// appendResponse appends RenderResponse's bytes to dst, growing it once
// when it is short of room.
func appendResponse(dst []byte, r *provider.ChatResponse, model string) []byte {
	var content [3]block
	blocks := content[:0]
	if r.Reasoning != "" {
		blocks = append(blocks, block{Type: "thinking", Thinking: &r.Reasoning, Signature: new(string)})
	}
	if r.Text != "" {
		blocks = append(blocks, block{Type: "text", Text: &r.Text})
	}
	n := 256 + len(r.ID) + len(model) + len(r.Reasoning) + len(r.Text)
	for _, tc := range r.ToolCalls {
		in := json.RawMessage(tc.Arguments)
		if !jsonscan.Valid(in) {
			in = append(provider.AppendString([]byte(`{"_raw_arguments":`), tc.Arguments), '}')
		}
		blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: in})
		n += 64 + len(tc.ID) + len(tc.Name) + len(in)
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, `{"id":`...)
	dst = provider.AppendString(dst, messageID(r.ID))
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = provider.AppendString(dst, model)
	dst = append(dst, `,"content":`...)
	dst, _ = appendBlocks(dst, blocks) // every input is valid JSON
	dst = append(dst, `,"stop_reason":`...)
	dst = provider.AppendString(dst, stopReason(r.FinishReason))
	dst = append(dst, `,"stop_sequence":null,"usage":`...)
	dst = appendUsage(dst, wireUsage(r.Usage))
	return append(dst, '}')
}

// appendUsage appends u as json.Marshal writes a usage.
func appendUsage(dst []byte, u usage) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.InputTokens), 10)
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.OutputTokens), 10)
	if u.CacheCreationInputTokens != 0 {
		dst = append(dst, `,"cache_creation_input_tokens":`...)
		dst = strconv.AppendInt(dst, int64(u.CacheCreationInputTokens), 10)
	}
	if u.CacheReadInputTokens != 0 {
		dst = append(dst, `,"cache_read_input_tokens":`...)
		dst = strconv.AppendInt(dst, int64(u.CacheReadInputTokens), 10)
	}
	return append(dst, '}')
}

func messageID(id string) string {
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	return "msg_" + strings.TrimPrefix(id, "chatcmpl-")
}

// StreamEncoder renders neutral chunks as Anthropic's event sequence. It is
// pure: each method appends SSE bytes to dst.
type StreamEncoder struct {
	ID    string
	Model string

	started   bool
	open      int  // index of the open content block, -1 when none
	openIsTxt bool // the open block is text
	openThink bool // the open block is thinking
	next      int  // next block index
	toolBlock map[int]int
	stop      string
}

func (e *StreamEncoder) event(dst []byte, typ string, v any) []byte {
	b, _ := json.Marshal(v)
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}

// blockDelta appends a content_block_delta event by appending bytes (most
// of a stream is these): the bytes event gives for the map of it, whose
// keys json.Marshal sorts (key sorts before "type" for each delta type).
func blockDelta(dst []byte, index int, typ, key, text string) []byte {
	dst = append(dst, "event: content_block_delta\ndata: {\"delta\":{\""...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = provider.AppendString(dst, text)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `"},"index":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, ",\"type\":\"content_block_delta\"}\n\n"...)
}

// The events of every stream are appended as bytes too, each exactly as
// event renders its map (TestStreamEventsAsMarshalled, FuzzStreamEvents):
// json.Marshal sorts map keys, and writes a struct's fields in order.

// messageStart appends message_start: a response with no content, no
// stop reason and zero usage.
func messageStart(dst []byte, id, model string) []byte {
	dst = append(dst, "event: message_start\ndata: {\"message\":{\"id\":"...)
	dst = provider.AppendString(dst, messageID(id))
	dst = append(dst, `,"type":"message","role":"assistant","model":`...)
	dst = provider.AppendString(dst, model)
	return append(dst, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}},"type":"message_start"}`+"\n\n"...)
}

// blockStart appends content_block_start of a text or thinking block.
func blockStart(dst []byte, index int, thinking bool) []byte {
	dst = append(dst, "event: content_block_start\ndata: {\"content_block\":"...)
	if thinking {
		dst = append(dst, `{"signature":"","thinking":"","type":"thinking"}`...)
	} else {
		dst = append(dst, `{"text":"","type":"text"}`...)
	}
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, ",\"type\":\"content_block_start\"}\n\n"...)
}

// blockStop appends content_block_stop.
func blockStop(dst []byte, index int) []byte {
	dst = append(dst, "event: content_block_stop\ndata: {\"index\":"...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, ",\"type\":\"content_block_stop\"}\n\n"...)
}

// messageEnd appends message_delta (the stop reason and usage, as
// wireUsage gives it) and message_stop.
func messageEnd(dst []byte, stop string, u usage) []byte {
	dst = append(dst, "event: message_delta\ndata: {\"delta\":{\"stop_reason\":"...)
	dst = provider.AppendString(dst, stop)
	dst = append(dst, `,"stop_sequence":null},"type":"message_delta","usage":`...)
	dst = appendUsage(dst, u)
	return append(dst, "}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...)
}

func (e *StreamEncoder) start(dst []byte) []byte {
	if e.started {
		return dst
	}
	e.started, e.open = true, -1
	return messageStart(dst, e.ID, e.Model)
}

func (e *StreamEncoder) closeBlock(dst []byte) []byte {
	if e.open >= 0 {
		dst = blockStop(dst, e.open)
		e.open = -1
	}
	return dst
}

// Chunk appends the events for one neutral chunk.
func (e *StreamEncoder) Chunk(dst []byte, c *provider.ChatChunk) []byte {
	dst = e.start(dst)
	if c.Reasoning != "" {
		if e.open < 0 || !e.openThink {
			dst = e.closeBlock(dst)
			e.open, e.openIsTxt, e.openThink = e.next, false, true
			e.next++
			dst = blockStart(dst, e.open, true)
		}
		dst = blockDelta(dst, e.open, "thinking_delta", "thinking", c.Reasoning)
	}
	if c.Text != "" {
		if e.open < 0 || !e.openIsTxt {
			dst = e.closeBlock(dst)
			e.open, e.openIsTxt, e.openThink = e.next, true, false
			e.next++
			dst = blockStart(dst, e.open, false)
		}
		dst = blockDelta(dst, e.open, "text_delta", "text", c.Text)
	}
	for _, tc := range c.ToolCalls {
		bi, known := e.toolBlock[tc.Index]
		if !known {
			dst = e.closeBlock(dst)
			bi = e.next
			e.next++
			if e.toolBlock == nil {
				e.toolBlock = map[int]int{}
			}
			e.toolBlock[tc.Index] = bi
			e.open, e.openIsTxt, e.openThink = bi, false, false
			dst = e.event(dst, "content_block_start", map[string]any{"type": "content_block_start", "index": bi,
				"content_block": map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": map[string]any{}}})
		}
		if tc.Arguments != "" {
			dst = blockDelta(dst, bi, "input_json_delta", "partial_json", tc.Arguments)
		}
	}
	if c.FinishReason != "" {
		e.stop = c.FinishReason
	}
	return dst
}

// Finish closes the open block and appends message_delta (stop reason and
// usage) and message_stop.
func (e *StreamEncoder) Finish(dst []byte, u provider.Usage) []byte {
	dst = e.start(dst)
	dst = e.closeBlock(dst)
	return messageEnd(dst, stopReason(e.stop), wireUsage(u))
}

// Fail appends an error event, which the Claude SDKs raise as an error.
func (e *StreamEncoder) Fail(dst []byte, status int, msg string) []byte {
	typ := "api_error"
	if status == 529 || status == 503 {
		typ = "overloaded_error"
	}
	return e.event(dst, "error", map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
}

// Codec renders neutral answers for Claude clients.
type Codec struct{}

var _ provider.Codec = Codec{}

var _ provider.ResponseAppender = Codec{}

// Response renders a Message.
func (Codec) Response(r *provider.ChatResponse) []byte { return RenderResponse(r, r.Model) }

// AppendResponse appends Response's bytes to dst.
func (Codec) AppendResponse(dst []byte, r *provider.ChatResponse) []byte {
	return appendResponse(dst, r, r.Model)
}

// NewStream returns an event-sequence encoder.
func (Codec) NewStream(id, model string) provider.StreamEncoder {
	return &StreamEncoder{ID: id, Model: model}
}

// StreamContentType is text/event-stream.
func (Codec) StreamContentType() string { return "text/event-stream; charset=utf-8" }
