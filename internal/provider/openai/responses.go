package openai

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/usage"
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
			Usage json.RawMessage `json:"usage"`
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
	if ev.Response != nil {
		if u, ok := usage.FromObject(ev.Response.Usage); ok { // input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens too
			d.usage, d.hasUsage = u, true
		}
	}
	return nil, nil
}

// Done reports whether the terminal event was seen.
func (d *ResponsesDecoder) Done() bool { return d.done }

// Usage returns the usage of the terminal event.
func (d *ResponsesDecoder) Usage() (provider.Usage, bool) { return d.usage, d.hasUsage }

// --- the Responses API for clients whose model is served by another provider ---

type responsesRequest struct {
	Model             string          `json:"model"`
	Input             json.RawMessage `json:"input"`
	Instructions      string          `json:"instructions"`
	MaxOutputTokens   *int            `json:"max_output_tokens"`
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	Tools             []responsesTool `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	Stream            bool            `json:"stream"`
	User              string          `json:"user"`
	Text              *struct {
		Format *struct {
			Type   string          `json:"type"`
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		} `json:"format"`
	} `json:"text"`
	Truncation string `json:"truncation"`
	Reasoning  *struct {
		Effort  string `json:"effort"`
		Summary string `json:"summary"`
	} `json:"reasoning"`
}

type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Tools       []responsesTool `json:"tools"` // a namespace's functions
}

// NamespaceSep joins a namespace and a function name into the one flat
// name other providers see ("multi_agent_v1__spawn_agent"); a call by that
// name is rendered back as the namespaced call.
const NamespaceSep = "__"

// builtinTools are Responses tools OpenAI runs itself, which no other
// provider can; the hint names the client setting that turns each off
// (Codex's ~/.codex/config.toml, the usual sender).
var builtinTools = map[string]string{
	"web_search":           `web_search = "disabled" in ~/.codex/config.toml (Codex), or drop the web_search tool`,
	"web_search_preview":   `web_search = "disabled" in ~/.codex/config.toml (Codex), or drop the tool`,
	"file_search":          "drop the file_search tool",
	"code_interpreter":     "drop the code_interpreter tool",
	"computer_use_preview": "drop the computer_use_preview tool",
	"image_generation":     "drop the image_generation tool",
	"local_shell":          `use_experimental_unified_exec_tool or a function shell tool in Codex (the default), or drop local_shell`,
	"mcp":                  "run the MCP server as function tools on the client side, or drop the mcp tool",
}

type responsesItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
	Namespace string          `json:"namespace"`
}

var (
	respMapped = map[string]bool{"model": true, "input": true, "instructions": true, "max_output_tokens": true,
		"temperature": true, "top_p": true, "tools": true, "tool_choice": true, "parallel_tool_calls": true,
		"stream": true, "user": true, "text": true, "truncation": true, "reasoning": true}
	respIgnored = map[string]bool{"store": true, "metadata": true, "service_tier": true, "include": true,
		"stream_options": true, "safety_identifier": true, "prompt_cache_key": true, "client_metadata": true}
)

// ParseResponsesRequest reads a Responses API request (text, images,
// function tools and their results) into the neutral form.
func ParseResponsesRequest(body []byte) (*provider.ChatRequest, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, provider.Invalid("", "the request body is not a JSON object: %v", err)
	}
	var in responsesRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, provider.Invalid("", "the request body does not match the Responses API format: %v", err)
	}
	r := &provider.ChatRequest{Model: in.Model, Temperature: in.Temperature, TopP: in.TopP, Stream: in.Stream,
		User: in.User, ParallelToolCalls: in.ParallelToolCalls, IncludeUsage: true}
	for k, v := range members {
		if !respMapped[k] && !respIgnored[k] && string(v) != "null" {
			r.Unmapped = append(r.Unmapped, k)
		}
	}
	if in.Truncation == "auto" {
		r.Unmapped = append(r.Unmapped, "truncation")
	}
	sort.Strings(r.Unmapped)
	if in.MaxOutputTokens != nil {
		r.MaxTokens = *in.MaxOutputTokens
	}
	if in.Text != nil && in.Text.Format != nil && in.Text.Format.Type != "" && in.Text.Format.Type != "text" {
		f := in.Text.Format
		r.ResponseFormat = &provider.ResponseFormat{Type: f.Type, Name: f.Name, Schema: f.Schema, Strict: f.Strict}
	}
	if rs := in.Reasoning; rs != nil {
		r.ReasoningEffort = rs.Effort
		// A summary is the model's reasoning shown: Gemini's thoughts.
		r.IncludeThoughts = rs.Summary != "" && rs.Summary != "none"
	}
	for i, t := range in.Tools {
		switch t.Type {
		case "function":
			r.Tools = append(r.Tools, provider.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters})
		case "namespace":
			// Flattened for the target; calls come back namespaced.
			for _, f := range t.Tools {
				if f.Type != "" && f.Type != "function" {
					continue
				}
				desc := f.Description
				if t.Description != "" {
					desc = t.Description + " " + desc
				}
				r.Tools = append(r.Tools, provider.Tool{Name: t.Name + NamespaceSep + f.Name, Description: desc, Parameters: f.Parameters})
			}
		default:
			setting, ok := builtinTools[t.Type]
			if !ok {
				setting = "drop the tool"
			}
			return nil, &provider.BuiltinToolError{Provider: "OpenAI", Tool: t.Type, Param: fmt.Sprintf("tools[%d]", i), Setting: setting}
		}
	}
	if len(in.ToolChoice) > 0 && string(in.ToolChoice) != "null" {
		var s string
		if json.Unmarshal(in.ToolChoice, &s) == nil {
			tc, err := parseToolChoice(in.ToolChoice)
			if err != nil {
				return nil, err
			}
			r.ToolChoice = tc
		} else {
			var obj struct {
				Type string `json:"type"`
				Name string `json:"name"`
			}
			if json.Unmarshal(in.ToolChoice, &obj) != nil || obj.Type != "function" || obj.Name == "" {
				return nil, provider.Invalid("tool_choice", `tool_choice must be "auto", "none", "required" or {"type":"function","name":…}`)
			}
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolNamed, Name: obj.Name}
		}
	}
	if in.Instructions != "" {
		r.Messages = append(r.Messages, provider.Message{Role: provider.RoleSystem, Parts: []provider.Part{{Type: provider.PartText, Text: in.Instructions}}})
	}
	var s string
	if json.Unmarshal(in.Input, &s) == nil {
		r.Messages = append(r.Messages, provider.Message{Role: provider.RoleUser, Parts: []provider.Part{{Type: provider.PartText, Text: s}}})
		return r, nil
	}
	var items []responsesItem
	if err := json.Unmarshal(in.Input, &items); err != nil {
		return nil, provider.Invalid("input", "input must be a string or an array of input items")
	}
	for i, it := range items {
		where := fmt.Sprintf("input[%d]", i)
		switch it.Type {
		case "", "message":
			m := provider.Message{Role: it.Role}
			switch it.Role {
			case "system", "developer":
				m.Role = provider.RoleSystem
			case "user", "assistant":
			default:
				return nil, provider.Invalid(where+".role", "%s has role %q", where, it.Role)
			}
			parts, err := parseResponsesContent(where, it.Content)
			if err != nil {
				return nil, err
			}
			m.Parts = parts
			r.Messages = append(r.Messages, m)
		case "function_call":
			name := it.Name
			if it.Namespace != "" {
				name = it.Namespace + NamespaceSep + name
			}
			tc := provider.ToolCall{ID: it.CallID, Name: name, Arguments: it.Arguments}
			if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == provider.RoleAssistant {
				r.Messages[n-1].ToolCalls = append(r.Messages[n-1].ToolCalls, tc)
			} else {
				r.Messages = append(r.Messages, provider.Message{Role: provider.RoleAssistant, ToolCalls: []provider.ToolCall{tc}})
			}
		case "function_call_output":
			out := string(it.Output)
			var str string
			if json.Unmarshal(it.Output, &str) == nil {
				out = str
			}
			r.Messages = append(r.Messages, provider.Message{Role: provider.RoleTool, ToolCallID: it.CallID,
				Parts: []provider.Part{{Type: provider.PartText, Text: out}}})
		case "reasoning":
		default:
			return nil, provider.Unsupported("this channel", where, fmt.Sprintf("input item type %q only works on OpenAI channels", it.Type))
		}
	}
	return r, nil
}

func parseResponsesContent(where string, raw json.RawMessage) ([]provider.Part, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []provider.Part{{Type: provider.PartText, Text: s}}, nil
	}
	var parts []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL string `json:"image_url"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, provider.Invalid(where+".content", "%s.content must be a string or an array of content parts", where)
	}
	var out []provider.Part
	for j, p := range parts {
		switch p.Type {
		case "input_text", "output_text":
			out = append(out, provider.Part{Type: provider.PartText, Text: p.Text})
		case "input_image":
			if p.ImageURL == "" {
				return nil, provider.Unsupported("this channel", fmt.Sprintf("%s.content[%d]", where, j), "images by file_id only work on OpenAI channels")
			}
			out = append(out, ImagePart(p.ImageURL))
		default:
			return nil, provider.Unsupported("this channel", fmt.Sprintf("%s.content[%d]", where, j), fmt.Sprintf("content type %q only works on OpenAI channels", p.Type))
		}
	}
	return out, nil
}

// ResponsesCodec renders neutral answers as Responses API objects and events.
type ResponsesCodec struct {
	Created int64
	// Namespaces are the request's tool namespaces: a call to a flattened
	// "ns__name" is rendered as {"namespace":"ns","name":"name"}.
	Namespaces map[string]bool
}

var _ provider.Codec = ResponsesCodec{}

type respUsage struct {
	InputTokens         int            `json:"input_tokens"`
	InputTokensDetails  map[string]int `json:"input_tokens_details"`
	OutputTokens        int            `json:"output_tokens"`
	OutputTokensDetails map[string]int `json:"output_tokens_details"`
	TotalTokens         int            `json:"total_tokens"`
}

func responsesID(prefix, id string) string {
	if strings.HasPrefix(id, prefix) {
		return id
	}
	return prefix + strings.NewReplacer("-", "", "_", "").Replace(id)
}

// responseObject builds the response object; usage nil while in progress.
func responseObject(id, model string, created int64, status string, output []any, u *provider.Usage, finish string) map[string]any {
	obj := map[string]any{"id": responsesID("resp_", id), "object": "response", "created_at": created, "status": status,
		"error": nil, "incomplete_details": nil, "model": model, "output": output, "parallel_tool_calls": true,
		"tool_choice": "auto", "tools": []any{}, "text": map[string]any{"format": map[string]string{"type": "text"}},
		"metadata": map[string]any{}, "usage": nil}
	if finish == provider.FinishLength {
		obj["status"], obj["incomplete_details"] = "incomplete", map[string]string{"reason": "max_output_tokens"}
	} else if finish == provider.FinishContentFilter {
		obj["status"], obj["incomplete_details"] = "incomplete", map[string]string{"reason": "content_filter"}
	}
	if u != nil {
		obj["usage"] = respUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens,
			InputTokensDetails: map[string]int{"cached_tokens": u.CachedInputTokens}, OutputTokensDetails: map[string]int{"reasoning_tokens": u.ReasoningTokens}}
	}
	return obj
}

func messageItem(id, status, text string) map[string]any {
	content := []any{}
	if status == "completed" {
		content = append(content, map[string]any{"type": "output_text", "text": text, "annotations": []any{}})
	}
	return map[string]any{"type": "message", "id": responsesID("msg_", id), "status": status, "role": "assistant", "content": content}
}

func callItem(n int, id, status string, tc provider.ToolCall, namespaces map[string]bool) map[string]any {
	item := map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_%s_%d", strings.TrimPrefix(responsesID("resp_", id), "resp_"), n),
		"call_id": tc.ID, "name": tc.Name, "arguments": tc.Arguments, "status": status}
	if ns, name, ok := strings.Cut(tc.Name, NamespaceSep); ok && namespaces[ns] {
		item["namespace"], item["name"] = ns, name
	}
	return item
}

// Namespaces returns the namespaces of a request's tools, for rendering
// calls back (ResponsesCodec.Namespaces).
func Namespaces(body []byte) map[string]bool {
	var in struct {
		Tools []responsesTool `json:"tools"`
	}
	_ = json.Unmarshal(body, &in)
	var out map[string]bool
	for _, t := range in.Tools {
		if t.Type == "namespace" {
			if out == nil {
				out = map[string]bool{}
			}
			out[t.Name] = true
		}
	}
	return out
}

// Response renders a complete response object.
func (c ResponsesCodec) Response(r *provider.ChatResponse) []byte {
	created := r.Created
	if created == 0 {
		created = c.Created
	}
	output := []any{}
	if r.Reasoning != "" {
		output = append(output, reasoningItem(r.ID, r.Reasoning))
	}
	if r.Text != "" {
		output = append(output, messageItem(r.ID, "completed", r.Text))
	}
	for i, tc := range r.ToolCalls {
		output = append(output, callItem(i, r.ID, "completed", tc, c.Namespaces))
	}
	b, _ := json.Marshal(responseObject(r.ID, r.Model, created, "completed", output, &r.Usage, r.FinishReason))
	return b
}

// NewStream returns a Responses event encoder.
func (c ResponsesCodec) NewStream(id, model string) provider.StreamEncoder {
	return &ResponsesEncoder{ID: id, Model: model, Created: c.Created, Namespaces: c.Namespaces}
}

// StreamContentType is text/event-stream.
func (ResponsesCodec) StreamContentType() string { return "text/event-stream; charset=utf-8" }

// ResponsesEncoder renders neutral chunks as Responses API stream events:
// response.created, output items with their text or argument deltas, and
// response.completed with the whole output and its usage.
type ResponsesEncoder struct {
	ID         string
	Model      string
	Created    int64
	Namespaces map[string]bool // see ResponsesCodec

	seq     int
	started bool
	output  []any // finished items
	msgIdx  int   // output index of the open message item, -1 when none
	rsIdx   int   // output index of the open reasoning item, -1 when none
	rsText  strings.Builder
	text    strings.Builder
	calls   map[int]*openCall
	order   []int
	stop    string
}

type openCall struct {
	out  int
	n    int
	call provider.ToolCall
}

func (e *ResponsesEncoder) event(dst []byte, typ string, fields map[string]any) []byte {
	fields["type"] = typ
	fields["sequence_number"] = e.seq
	e.seq++
	b, _ := json.Marshal(fields)
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, b...)
	return append(dst, "\n\n"...)
}

func (e *ResponsesEncoder) start(dst []byte) []byte {
	if e.started {
		return dst
	}
	e.started, e.msgIdx, e.rsIdx = true, -1, -1
	e.calls = map[int]*openCall{}
	obj := responseObject(e.ID, e.Model, e.Created, "in_progress", []any{}, nil, "")
	dst = e.event(dst, "response.created", map[string]any{"response": obj})
	return e.event(dst, "response.in_progress", map[string]any{"response": obj})
}

func (e *ResponsesEncoder) nextIndex() int {
	return len(e.output) + len(e.order) + btoi(e.msgIdx >= 0) + btoi(e.rsIdx >= 0)
}

// reasoningItem is a reasoning output item whose summary is the upstream's
// visible reasoning (Codex shows it as the model's thinking).
func reasoningItem(id, text string) map[string]any {
	summary := []any{}
	if text != "" {
		summary = append(summary, map[string]any{"type": "summary_text", "text": text})
	}
	return map[string]any{"type": "reasoning", "id": responsesID("rs_", id), "summary": summary}
}

func (e *ResponsesEncoder) reasoningDelta(dst []byte, delta string) []byte {
	itemID := responsesID("rs_", e.ID)
	if e.rsIdx < 0 {
		e.rsIdx = e.nextIndex()
		dst = e.event(dst, "response.output_item.added", map[string]any{"output_index": e.rsIdx, "item": reasoningItem(e.ID, "")})
		dst = e.event(dst, "response.reasoning_summary_part.added", map[string]any{"item_id": itemID, "output_index": e.rsIdx,
			"summary_index": 0, "part": map[string]any{"type": "summary_text", "text": ""}})
	}
	e.rsText.WriteString(delta)
	return e.event(dst, "response.reasoning_summary_text.delta", map[string]any{"item_id": itemID, "output_index": e.rsIdx, "summary_index": 0, "delta": delta})
}

func (e *ResponsesEncoder) closeReasoning(dst []byte) []byte {
	if e.rsIdx < 0 {
		return dst
	}
	itemID := responsesID("rs_", e.ID)
	text := e.rsText.String()
	dst = e.event(dst, "response.reasoning_summary_text.done", map[string]any{"item_id": itemID, "output_index": e.rsIdx, "summary_index": 0, "text": text})
	dst = e.event(dst, "response.reasoning_summary_part.done", map[string]any{"item_id": itemID, "output_index": e.rsIdx, "summary_index": 0,
		"part": map[string]any{"type": "summary_text", "text": text}})
	item := reasoningItem(e.ID, text)
	dst = e.event(dst, "response.output_item.done", map[string]any{"output_index": e.rsIdx, "item": item})
	e.output = append(e.output, item)
	e.rsIdx = -1
	return dst
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *ResponsesEncoder) closeMessage(dst []byte) []byte {
	if e.msgIdx < 0 {
		return dst
	}
	itemID := responsesID("msg_", e.ID)
	text := e.text.String()
	part := map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
	dst = e.event(dst, "response.output_text.done", map[string]any{"item_id": itemID, "output_index": e.msgIdx, "content_index": 0, "text": text, "logprobs": []any{}})
	dst = e.event(dst, "response.content_part.done", map[string]any{"item_id": itemID, "output_index": e.msgIdx, "content_index": 0, "part": part})
	item := messageItem(e.ID, "completed", text)
	dst = e.event(dst, "response.output_item.done", map[string]any{"output_index": e.msgIdx, "item": item})
	e.output = append(e.output, item)
	e.msgIdx = -1
	return dst
}

// Chunk appends the events of one chunk.
func (e *ResponsesEncoder) Chunk(dst []byte, c *provider.ChatChunk) []byte {
	dst = e.start(dst)
	if c.Reasoning != "" && e.msgIdx < 0 && len(e.order) == 0 {
		dst = e.reasoningDelta(dst, c.Reasoning)
	}
	if c.Text != "" || len(c.ToolCalls) > 0 {
		dst = e.closeReasoning(dst)
	}
	if c.Text != "" {
		itemID := responsesID("msg_", e.ID)
		if e.msgIdx < 0 && e.text.Len() == 0 {
			e.msgIdx = e.nextIndex()
			dst = e.event(dst, "response.output_item.added", map[string]any{"output_index": e.msgIdx, "item": messageItem(e.ID, "in_progress", "")})
			dst = e.event(dst, "response.content_part.added", map[string]any{"item_id": itemID, "output_index": e.msgIdx, "content_index": 0,
				"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
		}
		if e.msgIdx >= 0 {
			e.text.WriteString(c.Text)
			dst = e.event(dst, "response.output_text.delta", map[string]any{"item_id": itemID, "output_index": e.msgIdx, "content_index": 0, "delta": c.Text, "logprobs": []any{}})
		}
	}
	for _, d := range c.ToolCalls {
		oc, ok := e.calls[d.Index]
		if !ok {
			dst = e.closeMessage(dst)
			oc = &openCall{out: e.nextIndex(), n: len(e.order), call: provider.ToolCall{ID: d.ID, Name: d.Name}}
			e.calls[d.Index] = oc
			e.order = append(e.order, d.Index)
			dst = e.event(dst, "response.output_item.added", map[string]any{"output_index": oc.out, "item": callItem(oc.n, e.ID, "in_progress", oc.call, e.Namespaces)})
		}
		if d.Arguments != "" {
			oc.call.Arguments += d.Arguments
			item := callItem(oc.n, e.ID, "in_progress", oc.call, e.Namespaces)
			dst = e.event(dst, "response.function_call_arguments.delta", map[string]any{"item_id": item["id"], "output_index": oc.out, "delta": d.Arguments})
		}
	}
	if c.FinishReason != "" {
		e.stop = c.FinishReason
	}
	return dst
}

// Finish closes the open items and appends response.completed.
func (e *ResponsesEncoder) Finish(dst []byte, u provider.Usage) []byte {
	dst = e.start(dst)
	dst = e.closeReasoning(dst)
	dst = e.closeMessage(dst)
	for _, idx := range e.order {
		oc := e.calls[idx]
		if oc.call.Arguments == "" {
			oc.call.Arguments = "{}"
		}
		item := callItem(oc.n, e.ID, "completed", oc.call, e.Namespaces)
		dst = e.event(dst, "response.function_call_arguments.done", map[string]any{"item_id": item["id"], "output_index": oc.out, "name": oc.call.Name, "arguments": oc.call.Arguments})
		dst = e.event(dst, "response.output_item.done", map[string]any{"output_index": oc.out, "item": item})
		e.output = append(e.output, item)
	}
	e.order = nil
	obj := responseObject(e.ID, e.Model, e.Created, "completed", e.output, &u, e.stop)
	typ := "response.completed"
	if obj["status"] == "incomplete" {
		typ = "response.incomplete"
	}
	return e.event(dst, typ, map[string]any{"response": obj})
}

// Fail appends an error event.
func (e *ResponsesEncoder) Fail(dst []byte, status int, msg string) []byte {
	return e.event(dst, "error", map[string]any{"code": "upstream_error", "message": msg, "param": nil})
}
