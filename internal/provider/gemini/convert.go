// Package gemini speaks Google's Generative Language API
// (models/{model}:generateContent and :streamGenerateContent?alt=sse):
// outbound, it turns a neutral chat request into a GenerateContentRequest
// and the GenerateContentResponse (whole or streamed) back into neutral
// form; inbound, it reads a Gemini client's request into the neutral form
// and renders a neutral answer as GenerateContentResponse JSON or chunks.
// convert.go is pure; client.go is the transport.
package gemini

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/provider"
)

// Name is the provider name used in messages.
const Name = "Gemini"

type request struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []toolSet         `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

type part struct {
	Text             *string           `json:"text,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type toolSet struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations,omitempty"`
}

type functionDeclaration struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig *struct {
		Mode                 string   `json:"mode,omitempty"`
		AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
	} `json:"functionCallingConfig,omitempty"`
}

type generationConfig struct {
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"topP,omitempty"`
	TopK             *int            `json:"topK,omitempty"`
	MaxOutputTokens  int             `json:"maxOutputTokens,omitempty"`
	StopSequences    []string        `json:"stopSequences,omitempty"`
	ResponseMimeType string          `json:"responseMimeType,omitempty"`
	ResponseSchema   json.RawMessage `json:"responseSchema,omitempty"`
	CandidateCount   *int            `json:"candidateCount,omitempty"`
	ThinkingConfig   *thinkingConfig `json:"thinkingConfig,omitempty"`
}

// thinkingConfig is Gemini's reasoning control.
type thinkingConfig struct {
	ThinkingBudget  *int `json:"thinkingBudget,omitempty"`
	IncludeThoughts bool `json:"includeThoughts,omitempty"`
}

func str(s string) *string { return &s }

// schemaDrop are JSON Schema keywords Gemini's OpenAPI-subset schema refuses.
var schemaDrop = map[string]bool{"$schema": true, "additionalProperties": true, "strict": true, "$id": true}

// cleanSchema removes keywords the Gemini schema does not accept.
func cleanSchema(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, v := range t {
				if schemaDrop[k] {
					delete(t, k)
					continue
				}
				t[k] = walk(v)
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		}
		return x
	}
	b, _ := json.Marshal(walk(v))
	return b
}

// ToRequest renders a neutral request as a GenerateContentRequest body. The
// model is not part of the body: it goes in the URL.
func ToRequest(r *provider.ChatRequest) ([]byte, error) {
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls && len(r.Tools) > 0 {
		return nil, provider.Unsupported(Name, "parallel_tool_calls", "Gemini cannot be told to make at most one call per turn; drop parallel_tool_calls=false")
	}
	out := request{Contents: []content{}}
	gc := &generationConfig{Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK, MaxOutputTokens: r.MaxTokens, StopSequences: r.Stop}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object":
			gc.ResponseMimeType = "application/json"
		case "json_schema":
			gc.ResponseMimeType = "application/json"
			gc.ResponseSchema = cleanSchema(f.Schema)
		default:
			return nil, provider.Unsupported(Name, "response_format", fmt.Sprintf("type %q", f.Type))
		}
	}
	budget := r.ThinkingBudget
	if budget == 0 {
		budget = provider.BudgetForEffort(r.ReasoningEffort)
	}
	if budget > 0 || r.IncludeThoughts {
		gc.ThinkingConfig = &thinkingConfig{IncludeThoughts: r.IncludeThoughts}
		if budget > 0 {
			gc.ThinkingConfig.ThinkingBudget = &budget
		}
	}
	if gc.Temperature != nil || gc.TopP != nil || gc.TopK != nil || gc.MaxOutputTokens > 0 || len(gc.StopSequences) > 0 || gc.ResponseMimeType != "" ||
		gc.ThinkingConfig != nil {
		out.GenerationConfig = gc
	}
	if len(r.Tools) > 0 {
		ts := toolSet{}
		for _, t := range r.Tools {
			ts.FunctionDeclarations = append(ts.FunctionDeclarations, functionDeclaration{Name: t.Name, Description: t.Description, Parameters: cleanSchema(t.Parameters)})
		}
		out.Tools = []toolSet{ts}
	}
	if tc := r.ToolChoice; tc != nil {
		cfg := &toolConfig{}
		cfg.FunctionCallingConfig = &struct {
			Mode                 string   `json:"mode,omitempty"`
			AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
		}{}
		switch tc.Mode {
		case provider.ToolAuto:
			cfg.FunctionCallingConfig.Mode = "AUTO"
		case provider.ToolNone:
			cfg.FunctionCallingConfig.Mode = "NONE"
		case provider.ToolRequired:
			cfg.FunctionCallingConfig.Mode = "ANY"
		case provider.ToolNamed:
			cfg.FunctionCallingConfig.Mode = "ANY"
			cfg.FunctionCallingConfig.AllowedFunctionNames = []string{tc.Name}
		}
		out.ToolConfig = cfg
	}
	names := map[string]string{} // tool call id → function name
	for i, m := range r.Messages {
		var c content
		switch m.Role {
		case provider.RoleSystem:
			if out.SystemInstruction == nil {
				out.SystemInstruction = &content{}
			}
			for _, p := range m.Parts {
				if p.Type == provider.PartText {
					out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, part{Text: str(p.Text)})
				}
			}
			continue
		case provider.RoleTool:
			name := m.Name
			if name == "" {
				name = names[m.ToolCallID]
			}
			if name == "" {
				return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_call_id", i),
					"messages[%d] answers tool call %q, which no earlier assistant message made; Gemini needs the function's name", i, m.ToolCallID)
			}
			c = content{Role: "user", Parts: []part{{FunctionResponse: &functionResponse{Name: name, Response: toolResponse(m.Text(), m.IsError)}}}}
		case provider.RoleUser, provider.RoleAssistant:
			c.Role = "user"
			if m.Role == provider.RoleAssistant {
				c.Role = "model"
			}
			for j, p := range m.Parts {
				switch p.Type {
				case provider.PartText:
					if p.Text != "" {
						c.Parts = append(c.Parts, part{Text: str(p.Text)})
					}
				case provider.PartImage:
					if p.URL != "" {
						if !strings.HasPrefix(p.URL, "gs://") && !strings.HasPrefix(p.URL, "https://generativelanguage.googleapis.com/") {
							return nil, provider.Unsupported(Name, fmt.Sprintf("messages[%d].content[%d].image_url", i, j),
								"Gemini does not fetch image URLs; send the image inline as a data: URL (base64)")
						}
						c.Parts = append(c.Parts, part{FileData: &fileData{MimeType: p.MediaType, FileURI: p.URL}})
					} else {
						c.Parts = append(c.Parts, part{InlineData: &blob{MimeType: p.MediaType, Data: p.Data}})
					}
				}
			}
			for j, tc := range m.ToolCalls {
				args := json.RawMessage(tc.Arguments)
				if strings.TrimSpace(tc.Arguments) == "" {
					args = json.RawMessage(`{}`)
				}
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(args, &obj); err != nil {
					return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments", i, j),
						"messages[%d].tool_calls[%d].function.arguments is not a JSON object; Gemini needs call arguments as an object", i, j)
				}
				names[tc.ID] = tc.Name
				c.Parts = append(c.Parts, part{FunctionCall: &functionCall{Name: tc.Name, Args: args}})
			}
		default:
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] has role %q", i, m.Role)
		}
		if len(c.Parts) == 0 {
			continue
		}
		if n := len(out.Contents); n > 0 && out.Contents[n-1].Role == c.Role {
			out.Contents[n-1].Parts = append(out.Contents[n-1].Parts, c.Parts...)
			continue
		}
		out.Contents = append(out.Contents, c)
	}
	if len(out.Contents) == 0 {
		return nil, provider.Invalid("messages", "the request has no user or assistant message; Gemini needs at least one")
	}
	return appendRequest(make([]byte, 0, r.SizeHint()), &out)
}

// toolResponse wraps a tool's output as the object functionResponse needs.
func toolResponse(text string, isErr bool) json.RawMessage {
	key := "result"
	if isErr {
		key = "error"
	}
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "{") && json.Valid([]byte(t)) && !isErr {
		return json.RawMessage(t)
	}
	var v any = text
	if json.Valid([]byte(t)) && t != "" {
		v = json.RawMessage(t)
	}
	b, _ := json.Marshal(map[string]any{key: v})
	return b
}

type response struct {
	Candidates     []candidate     `json:"candidates"`
	PromptFeedback *promptFeedback `json:"promptFeedback,omitempty"`
	UsageMetadata  *usageMetadata  `json:"usageMetadata,omitempty"`
	ModelVersion   string          `json:"modelVersion,omitempty"`
	ResponseID     string          `json:"responseId,omitempty"`
}

type candidate struct {
	Content      *content `json:"content,omitempty"`
	FinishReason string   `json:"finishReason,omitempty"`
	Index        int      `json:"index"`
}

type promptFeedback struct {
	BlockReason string `json:"blockReason,omitempty"`
}

type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount,omitempty"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// neutral is u in the gateway's convention. Gemini's promptTokenCount
// includes the cached content; totalTokenCount is prompt + tool-use prompt
// + candidates + thoughts, so the thoughts (billed as output) and the
// tool-use prompt (billed as input) come on top of the other two.
func (u *usageMetadata) neutral() provider.Usage {
	return provider.Usage{InputTokens: u.PromptTokenCount + u.ToolUsePromptTokenCount, OutputTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount,
		CachedInputTokens: u.CachedContentTokenCount, ReasoningTokens: u.ThoughtsTokenCount}
}

// wireUsage is u as Gemini writes it: the cached content inside the
// prompt count, the thoughts beside the candidates.
func wireUsage(u provider.Usage) *usageMetadata {
	return &usageMetadata{PromptTokenCount: u.InputTokens, CachedContentTokenCount: u.CachedInputTokens,
		CandidatesTokenCount: u.OutputTokens - u.ReasoningTokens, ThoughtsTokenCount: u.ReasoningTokens,
		TotalTokenCount: u.InputTokens + u.OutputTokens}
}

// ParseUsage reads the usageMetadata of a generateContent answer, or of
// the last element that has one in a streamed answer's JSON array.
func ParseUsage(body []byte) (provider.Usage, bool) {
	type one struct {
		UsageMetadata *usageMetadata `json:"usageMetadata"`
	}
	var r one
	if err := json.Unmarshal(body, &r); err == nil {
		if r.UsageMetadata == nil {
			return provider.Usage{}, false
		}
		return r.UsageMetadata.neutral(), true
	}
	var all []one
	if json.Unmarshal(body, &all) != nil {
		return provider.Usage{}, false
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].UsageMetadata != nil {
			return all[i].UsageMetadata.neutral(), true
		}
	}
	return provider.Usage{}, false
}

// finishReason maps a Gemini finishReason to the neutral vocabulary.
func finishReason(s string, calls bool) string {
	switch s {
	case "":
		return ""
	case "MAX_TOKENS":
		return provider.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE":
		return provider.FinishContentFilter
	}
	if calls {
		return provider.FinishToolCalls
	}
	return provider.FinishStop
}

// geminiFinish maps a neutral finish reason to a Gemini finishReason.
func geminiFinish(s string) string {
	switch s {
	case provider.FinishLength:
		return "MAX_TOKENS"
	case provider.FinishContentFilter:
		return "SAFETY"
	}
	return "STOP"
}

// ParseResponse reads a GenerateContentResponse into the neutral form.
func ParseResponse(body []byte) (*provider.ChatResponse, error) {
	in, ok := scanResponse(body, nil) // text answers; the rest with encoding/json
	if !ok {
		in = response{}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("decode Gemini response: %w", err)
		}
	}
	return answer(&in), nil
}

// answer is the neutral form of a decoded GenerateContentResponse.
func answer(in *response) *provider.ChatResponse {
	r := &provider.ChatResponse{ID: in.ResponseID, Model: in.ModelVersion}
	if in.UsageMetadata != nil {
		r.Usage = in.UsageMetadata.neutral()
	}
	if len(in.Candidates) == 0 {
		if in.PromptFeedback != nil && in.PromptFeedback.BlockReason != "" {
			r.FinishReason = provider.FinishContentFilter
		}
		return r
	}
	c := in.Candidates[0]
	if c.Content != nil {
		for _, p := range c.Content.Parts {
			switch {
			case p.Thought:
				if p.Text != nil {
					r.Reasoning += *p.Text
				}
			case p.FunctionCall != nil:
				r.ToolCalls = append(r.ToolCalls, toolCall(p.FunctionCall, len(r.ToolCalls)))
			case p.Text != nil:
				r.Text += *p.Text
			}
		}
	}
	r.FinishReason = finishReason(c.FinishReason, len(r.ToolCalls) > 0)
	return r
}

func toolCall(fc *functionCall, n int) provider.ToolCall {
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(n) + "_" + fc.Name
	}
	args := string(fc.Args)
	if args == "" || args == "null" {
		args = "{}"
	}
	return provider.ToolCall{ID: id, Name: fc.Name, Arguments: args}
}

// ParseError reads a Google error body: {"error":{"code","message","status"}}.
func ParseError(body []byte) (typ, msg string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		// streamGenerateContent without alt=sse wraps errors in an array.
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) == nil && len(arr) > 0 {
			return ParseError(arr[0])
		}
	}
	return e.Error.Status, e.Error.Message
}

// StreamDecoder turns streamGenerateContent?alt=sse events into neutral
// chunks. Gemini has no terminal event: a candidate's finishReason marks
// the end, and a body that ends before one was cut.
type StreamDecoder struct {
	last     repeated // the scanner's scratch: the previous chunk's strings and parts
	calls    int
	usage    provider.Usage
	hasUsage bool
	done     bool
	started  bool
	out      provider.ChatChunk // the chunk Decode returns, reused (valid until the next)
}

// Done reports whether a finishReason was seen.
func (d *StreamDecoder) Done() bool { return d.done }

// Usage returns the last usageMetadata seen (Gemini's counts are cumulative).
func (d *StreamDecoder) Usage() (provider.Usage, bool) { return d.usage, d.hasUsage }

// Decode reads one event's data. The chunk it returns is valid until the
// next call.
func (d *StreamDecoder) Decode(_ string, data []byte) (*provider.ChatChunk, error) {
	in, ok := scanResponse(data, &d.last) // the hot path: most chunks are text
	if !ok {
		return d.decodeJSON(data)
	}
	return d.chunk(&in), nil
}

// decodeJSON is Decode with encoding/json (apart, so that Decode's own
// response stays on its stack).
func (d *StreamDecoder) decodeJSON(data []byte) (*provider.ChatChunk, error) {
	var in response
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, decodeErr(data, err)
	}
	return d.chunk(&in), nil
}

// decodeErr is the error of a stream chunk encoding/json could not read.
func decodeErr(data []byte, err error) error {
	typ, msg := ParseError(data)
	if msg != "" {
		return &provider.UpstreamError{Status: 500, Type: typ, Message: msg}
	}
	return fmt.Errorf("decode Gemini stream chunk: %w", err)
}

// chunk is the neutral chunk of one decoded stream chunk.
func (d *StreamDecoder) chunk(in *response) *provider.ChatChunk {
	if in.UsageMetadata != nil {
		d.usage, d.hasUsage = in.UsageMetadata.neutral(), true
	}
	d.out = provider.ChatChunk{ID: in.ResponseID, Model: in.ModelVersion}
	c := &d.out
	if !d.started {
		d.started = true
		c.Role = provider.RoleAssistant
	}
	if len(in.Candidates) == 0 {
		if in.PromptFeedback != nil && in.PromptFeedback.BlockReason != "" {
			d.done = true
			c.FinishReason = provider.FinishContentFilter
			return c
		}
		if c.Role != "" {
			return c
		}
		return nil
	}
	cand := in.Candidates[0]
	if cand.Content != nil {
		for _, p := range cand.Content.Parts {
			switch {
			case p.Thought:
				if p.Text != nil {
					c.Reasoning += *p.Text
				}
			case p.FunctionCall != nil:
				tc := toolCall(p.FunctionCall, d.calls)
				c.ToolCalls = append(c.ToolCalls, provider.ToolCallDelta{Index: d.calls, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
				d.calls++
			case p.Text != nil:
				c.Text += *p.Text
			}
		}
	}
	if cand.FinishReason != "" {
		d.done = true
		c.FinishReason = finishReason(cand.FinishReason, d.calls > 0)
	}
	if c.Role == "" && c.Text == "" && c.Reasoning == "" && len(c.ToolCalls) == 0 && c.FinishReason == "" {
		return nil
	}
	return c
}

// --- inbound: a Gemini client's request and the answer rendered for it ---

type inRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction"`
	Tools             []json.RawMessage `json:"tools"`
	ToolConfig        *toolConfig       `json:"toolConfig"`
	GenerationConfig  *inGenConfig      `json:"generationConfig"`
}

type inGenConfig struct {
	generationConfig
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
}

var (
	inMapped  = map[string]bool{"contents": true, "systemInstruction": true, "tools": true, "toolConfig": true, "generationConfig": true, "model": true}
	inIgnored = map[string]bool{"safetySettings": true, "labels": true}
	genMapped = map[string]bool{"temperature": true, "topP": true, "topK": true, "maxOutputTokens": true, "stopSequences": true,
		"responseMimeType": true, "responseSchema": true, "responseJsonSchema": true, "candidateCount": true}
)

// ParseRequest reads a GenerateContentRequest into the neutral form. It also
// accepts the snake_case spelling (system_instruction, generation_config)
// that Google's REST examples use.
func ParseRequest(model string, body []byte, stream bool) (*provider.ChatRequest, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, provider.Invalid("", "the request body is not a JSON object: %v", err)
	}
	body, _ = json.Marshal(camelKeys(doc))
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, provider.Invalid("", "the request body is not a JSON object")
	}
	var in inRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, provider.Invalid("", "the request body does not match the generateContent format: %v", err)
	}
	r := &provider.ChatRequest{Model: model, Stream: stream, IncludeUsage: true}
	for k, v := range members {
		if !inMapped[k] && !inIgnored[k] && string(v) != "null" {
			r.Unmapped = append(r.Unmapped, k)
		}
	}
	if raw, ok := members["generationConfig"]; ok {
		var gm map[string]json.RawMessage
		_ = json.Unmarshal(raw, &gm)
		for k, v := range gm {
			if !genMapped[k] && string(v) != "null" {
				r.Unmapped = append(r.Unmapped, "generationConfig."+k)
			}
		}
	}
	if g := in.GenerationConfig; g != nil {
		r.Temperature, r.TopP, r.TopK, r.MaxTokens, r.Stop = g.Temperature, g.TopP, g.TopK, g.MaxOutputTokens, g.StopSequences
		if g.CandidateCount != nil && *g.CandidateCount > 1 {
			r.Unmapped = append(r.Unmapped, "generationConfig.candidateCount")
		}
		schema := g.ResponseSchema
		if len(g.ResponseJSONSchema) > 0 {
			schema = g.ResponseJSONSchema
		}
		switch {
		case len(schema) > 0 && string(schema) != "null":
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_schema", Name: "response", Schema: schema}
		case g.ResponseMimeType == "application/json":
			r.ResponseFormat = &provider.ResponseFormat{Type: "json_object"}
		}
	}
	sort.Strings(r.Unmapped)
	for i, raw := range in.Tools {
		var ts map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ts); err != nil {
			return nil, provider.Invalid(fmt.Sprintf("tools[%d]", i), "tools[%d] is not an object", i)
		}
		for k, v := range ts {
			if k != "functionDeclarations" && k != "function_declarations" {
				return nil, provider.Unsupported("this channel", fmt.Sprintf("tools[%d].%s", i, k), "Gemini built-in tools only run on Gemini channels")
			}
			var decls []struct {
				functionDeclaration
				ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
			}
			if err := json.Unmarshal(v, &decls); err != nil {
				return nil, provider.Invalid(fmt.Sprintf("tools[%d].functionDeclarations", i), "tools[%d].functionDeclarations must be an array of declarations", i)
			}
			for _, d := range decls {
				p := d.Parameters
				if len(d.ParametersJSONSchema) > 0 {
					p = d.ParametersJSONSchema
				}
				r.Tools = append(r.Tools, provider.Tool{Name: d.Name, Description: d.Description, Parameters: lowerTypes(p)})
			}
		}
	}
	if tc := in.ToolConfig; tc != nil && tc.FunctionCallingConfig != nil {
		fc := tc.FunctionCallingConfig
		switch fc.Mode {
		case "", "AUTO", "MODE_UNSPECIFIED":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolAuto}
		case "NONE":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolNone}
		case "ANY":
			r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolRequired}
			switch len(fc.AllowedFunctionNames) {
			case 0:
			case 1:
				r.ToolChoice = &provider.ToolChoice{Mode: provider.ToolNamed, Name: fc.AllowedFunctionNames[0]}
			default:
				return nil, provider.Unsupported("this channel", "toolConfig.functionCallingConfig.allowedFunctionNames", "only one allowed function name can be converted")
			}
		default:
			return nil, provider.Invalid("toolConfig.functionCallingConfig.mode", "mode %q is not one of AUTO, ANY, NONE", fc.Mode)
		}
	}
	if si := in.SystemInstruction; si != nil {
		m := provider.Message{Role: provider.RoleSystem}
		for _, p := range si.Parts {
			if p.Text != nil {
				m.Parts = append(m.Parts, provider.Part{Type: provider.PartText, Text: *p.Text})
			}
		}
		r.Messages = append(r.Messages, m)
	}
	var lastCalls []provider.ToolCall
	calls := 0
	for i, c := range in.Contents {
		role := provider.RoleUser
		switch c.Role {
		case "", "user":
		case "model":
			role = provider.RoleAssistant
		default:
			return nil, provider.Invalid(fmt.Sprintf("contents[%d].role", i), "contents[%d].role must be user or model, not %q", i, c.Role)
		}
		cur := provider.Message{Role: role}
		var results []provider.Message
		for j, p := range c.Parts {
			where := fmt.Sprintf("contents[%d].parts[%d]", i, j)
			switch {
			case p.Thought:
			case p.Text != nil:
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartText, Text: *p.Text})
			case p.InlineData != nil:
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartImage, MediaType: p.InlineData.MimeType, Data: p.InlineData.Data})
			case p.FileData != nil:
				cur.Parts = append(cur.Parts, provider.Part{Type: provider.PartImage, MediaType: p.FileData.MimeType, URL: p.FileData.FileURI})
			case p.FunctionCall != nil:
				tc := toolCall(p.FunctionCall, calls)
				calls++
				cur.ToolCalls = append(cur.ToolCalls, tc)
			case p.FunctionResponse != nil:
				fr := p.FunctionResponse
				id := fr.ID
				if id == "" {
					for _, tc := range lastCalls {
						if tc.Name == fr.Name {
							id = tc.ID
							break
						}
					}
				}
				if id == "" {
					id = "call_" + fr.Name
				}
				results = append(results, provider.Message{Role: provider.RoleTool, ToolCallID: id, Name: fr.Name,
					Parts: []provider.Part{{Type: provider.PartText, Text: string(fr.Response)}}})
			default:
				return nil, provider.Unsupported("this channel", where, "this part kind only works on Gemini channels")
			}
		}
		if len(cur.ToolCalls) > 0 {
			lastCalls = cur.ToolCalls
		}
		r.Messages = append(r.Messages, results...)
		if len(cur.Parts) > 0 || len(cur.ToolCalls) > 0 {
			r.Messages = append(r.Messages, cur)
		}
	}
	return r, nil
}

// lowerTypes turns Gemini's upper-case schema types ("OBJECT", "STRING")
// into JSON Schema's lower-case ones, for providers that validate them.
func lowerTypes(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, v := range t {
				if s, ok := v.(string); ok && k == "type" {
					t[k] = strings.ToLower(s)
					continue
				}
				walk(v)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return b
}

// RenderResponse renders a neutral answer as a GenerateContentResponse.
func RenderResponse(r *provider.ChatResponse, model string) []byte {
	c := candidate{Content: &content{Role: "model", Parts: []part{}}, FinishReason: geminiFinish(r.FinishReason)}
	if r.Text != "" {
		c.Content.Parts = append(c.Content.Parts, part{Text: str(r.Text)})
	}
	for _, tc := range r.ToolCalls {
		c.Content.Parts = append(c.Content.Parts, part{FunctionCall: &functionCall{ID: tc.ID, Name: tc.Name, Args: argsObject(tc.Arguments)}})
	}
	out := response{Candidates: []candidate{c}, ModelVersion: model, ResponseID: r.ID,
		UsageMetadata: wireUsage(r.Usage)}
	b, _ := json.Marshal(out)
	return b
}

func argsObject(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage(`{}`)
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(map[string]string{"_raw_arguments": s})
	return b
}

// StreamEncoder renders neutral chunks as streamGenerateContent chunks: SSE
// events (alt=sse) or the elements of one JSON array (Array). Tool calls
// are sent whole — a Gemini functionCall is never partial — so their
// argument deltas are held until the stream finishes.
type StreamEncoder struct {
	Model string
	ID    string
	Array bool

	n     int
	calls []provider.ToolCall
	stop  string
}

func (e *StreamEncoder) emit(dst []byte, r response) []byte {
	b, _ := json.Marshal(r)
	if e.Array {
		if e.n == 0 {
			dst = append(dst, '[')
		} else {
			dst = append(dst, ",\r\n"...)
		}
		e.n++
		return append(dst, b...)
	}
	e.n++
	dst = append(dst, "data: "...)
	dst = append(dst, b...)
	return append(dst, "\r\n\r\n"...)
}

// Chunk appends a chunk for the text of c; tool-call pieces are collected.
func (e *StreamEncoder) Chunk(dst []byte, c *provider.ChatChunk) []byte {
	for _, tc := range c.ToolCalls {
		for len(e.calls) <= tc.Index {
			e.calls = append(e.calls, provider.ToolCall{})
		}
		t := &e.calls[tc.Index]
		if tc.ID != "" {
			t.ID = tc.ID
		}
		if tc.Name != "" {
			t.Name = tc.Name
		}
		t.Arguments += tc.Arguments
	}
	if c.FinishReason != "" {
		e.stop = c.FinishReason
	}
	if c.Text == "" {
		return dst
	}
	return e.emit(dst, response{Candidates: []candidate{{Content: &content{Role: "model", Parts: []part{{Text: str(c.Text)}}}}},
		ModelVersion: e.Model, ResponseID: e.ID})
}

// Finish appends the last chunk: held tool calls, finishReason and usage.
func (e *StreamEncoder) Finish(dst []byte, u provider.Usage) []byte {
	c := candidate{Content: &content{Role: "model", Parts: []part{}}, FinishReason: geminiFinish(e.stop)}
	for _, tc := range e.calls {
		c.Content.Parts = append(c.Content.Parts, part{FunctionCall: &functionCall{ID: tc.ID, Name: tc.Name, Args: argsObject(tc.Arguments)}})
	}
	if len(c.Content.Parts) == 0 {
		c.Content.Parts = append(c.Content.Parts, part{Text: str("")})
	}
	dst = e.emit(dst, response{Candidates: []candidate{c}, ModelVersion: e.Model, ResponseID: e.ID,
		UsageMetadata: wireUsage(u)})
	if e.Array {
		dst = append(dst, ']')
	}
	return dst
}

// Fail appends an error in Google's shape.
func (e *StreamEncoder) Fail(dst []byte, status int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": msg, "status": "INTERNAL"}})
	if e.Array {
		if e.n == 0 {
			dst = append(dst, '[')
		} else {
			dst = append(dst, ",\r\n"...)
		}
		dst = append(dst, b...)
		return append(dst, ']')
	}
	dst = append(dst, "data: "...)
	dst = append(dst, b...)
	return append(dst, "\r\n\r\n"...)
}

// Codec renders neutral answers for Gemini clients.
type Codec struct {
	Array bool // streamGenerateContent without alt=sse: one JSON array
}

var _ provider.Codec = Codec{}

// Response renders a GenerateContentResponse.
func (Codec) Response(r *provider.ChatResponse) []byte { return RenderResponse(r, r.Model) }

// NewStream returns a chunk encoder.
func (c Codec) NewStream(id, model string) provider.StreamEncoder {
	return &StreamEncoder{ID: id, Model: model, Array: c.Array}
}

// StreamContentType is text/event-stream, or JSON for the array form.
func (c Codec) StreamContentType() string {
	if c.Array {
		return "application/json; charset=UTF-8"
	}
	return "text/event-stream"
}

// opaque members hold user data (schemas, arguments) whose keys are kept.
var opaque = map[string]bool{"args": true, "response": true, "parameters": true, "parametersJsonSchema": true,
	"responseSchema": true, "responseJsonSchema": true}

// camelKeys rewrites the snake_case field names that Google's REST API also
// accepts (system_instruction, inline_data, mime_type…) to camelCase, without
// touching the keys inside schemas and function arguments.
func camelKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			ck := k
			if strings.Contains(k, "_") {
				parts := strings.Split(k, "_")
				for i := 1; i < len(parts); i++ {
					if parts[i] != "" {
						parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
					}
				}
				ck = strings.Join(parts, "")
			}
			if opaque[ck] {
				out[ck] = e
			} else {
				out[ck] = camelKeys(e)
			}
		}
		return out
	case []any:
		for i := range t {
			t[i] = camelKeys(t[i])
		}
	}
	return v
}
