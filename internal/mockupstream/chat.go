package mockupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	greeting = "Hello from the mock upstream."
	// echoLimit bounds how much of the user's text is echoed back, so a huge
	// prompt does not make a huge (and slow to stream) answer.
	echoLimit = 64
	// legacyDefaultMaxTokens is OpenAI's documented default for the legacy
	// completions endpoint; mimicking it keeps the mock honest about
	// finish_reason "length" there.
	legacyDefaultMaxTokens = 16
	fingerprint            = "fp_keygate_mock"
)

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatRequest struct {
	Model               string         `json:"model"`
	Messages            []chatMessage  `json:"messages"`
	Stream              bool           `json:"stream"`
	StreamOptions       *streamOptions `json:"stream_options"`
	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	// ReasoningEffort makes the answer carry reasoning_content first, as
	// DeepSeek and Qwen-style servers send it.
	ReasoningEffort string `json:"reasoning_effort"`
	Tools           []struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Stream        bool            `json:"stream"`
	StreamOptions *streamOptions  `json:"stream_options"`
	MaxTokens     *int            `json:"max_tokens"`
}

// contentPart is one element of the array form of a message's content. Only
// text parts contribute to the answer; images and audio are accepted and
// ignored.
type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// reply is the deterministic answer to one request, already cut into the
// pieces a stream sends.
type reply struct {
	pieces           []string
	finish           string
	promptTokens     int
	completionTokens int
}

func (rp *reply) text() string { return strings.Join(rp.pieces, "") }

// makeReply builds the answer text, cuts it into word pieces (one piece is
// one completion "token") and applies the max-token limit.
func makeReply(said string, promptTokens, maxTokens int) reply {
	text := greeting
	if said = strings.TrimSpace(said); said != "" {
		text += " You said: " + truncateRunes(said, echoLimit)
	}
	pieces := splitPieces(text)
	rp := reply{pieces: pieces, finish: "stop", promptTokens: promptTokens}
	if maxTokens > 0 && len(pieces) > maxTokens {
		rp.pieces = pieces[:maxTokens]
		rp.finish = "length"
	}
	rp.completionTokens = len(rp.pieces)
	return rp
}

// splitPieces cuts text before every space that follows a non-space, so each
// piece is a word with its leading space, and the pieces join back to text.
func splitPieces(text string) []string {
	pieces := make([]string, 0, 16)
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			pieces = append(pieces, text[start:i])
			start = i
		}
	}
	return append(pieces, text[start:])
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}

// estimateTokens approximates a tokenizer with the usual "about four
// characters per token" rule; what matters is that it is stable and grows
// with the input, so cost metering can be checked.
func estimateTokens(s string) int {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return 0
	}
	return (n + 3) / 4
}

// messageText extracts the text of a message's content, which may be a
// string, an array of content parts, or null.
func messageText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case '[':
		var parts []contentPart
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", false
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.Type == "text" || p.Type == "input_text" {
				if sb.Len() > 0 {
					sb.WriteByte(' ')
				}
				sb.WriteString(p.Text)
			}
		}
		return sb.String(), true
	}
	return "", false
}

// maxTokensParam validates an optional max-token parameter the way OpenAI
// does (it must be at least 1).
func maxTokensParam(w http.ResponseWriter, name string, v *int) (int, bool) {
	if v == nil {
		return 0, true
	}
	if *v < 1 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "integer_below_min_value", name,
			"Invalid '"+name+"': integer below minimum value. Expected a value >= 1, but got "+strconv.Itoa(*v)+" instead.")
		return 0, false
	}
	return *v, true
}

func (s *server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badJSON(w, err)
		return
	}
	m := resolveModel(w, req.Model, kindChat)
	if m == nil {
		return
	}
	if req.Messages == nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_required_parameter", "messages",
			"Missing required parameter: 'messages'.")
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "empty_array", "messages",
			"Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
		return
	}
	limit, ok := maxTokensParam(w, "max_completion_tokens", req.MaxCompletionTokens)
	if !ok {
		return
	}
	if limit == 0 {
		if limit, ok = maxTokensParam(w, "max_tokens", req.MaxTokens); !ok {
			return
		}
	}
	said := ""
	// The per-message and priming overheads follow OpenAI's published
	// counting recipe (a few tokens per message plus three for the reply).
	prompt := 3
	for i, msg := range req.Messages {
		text, ok := messageText(msg.Content)
		if !ok {
			p := "messages[" + strconv.Itoa(i) + "].content"
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_type", p,
				"Invalid type for '"+p+"': expected a string, an array of content parts, or null.")
			return
		}
		prompt += 3 + estimateTokens(msg.Role) + estimateTokens(text)
		if msg.Role == "user" || msg.Role == "tool" {
			said = text
		}
	}
	if simulateFailure(w, r, m) {
		return
	}
	rp := makeReply(said, prompt, limit)
	id := "chatcmpl-" + s.nextID()
	created := time.Now().Unix()
	if toolResult := req.Messages[len(req.Messages)-1].Role == "tool"; toolResult || len(req.Tools) > 0 || req.ReasoningEffort != "" {
		s.chatTools(w, r, &req, id, created, said, toolResult, &rp)
		return
	}
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		s.streamChat(w, r, id, created, req.Model, &rp, includeUsage, m.behaviour == streamCut)
		return
	}

	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = appendInt(b, created)
	b = append(b, `,"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = appendString(b, rp.text())
	b = append(b, `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":`...)
	b = appendString(b, rp.finish)
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, rp.promptTokens, rp.completionTokens, true)
	b = append(b, `,"service_tier":"default","system_fingerprint":"`+fingerprint+`"}`+"\n"...)
	*bp = b
	if m.behaviour == streamCut {
		writeCut(w, b)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *server) completions(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req completionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badJSON(w, err)
		return
	}
	m := resolveModel(w, req.Model, kindChat)
	if m == nil {
		return
	}
	limit, ok := maxTokensParam(w, "max_tokens", req.MaxTokens)
	if !ok {
		return
	}
	if limit == 0 {
		limit = legacyDefaultMaxTokens
	}
	said, prompt, ok := promptText(req.Prompt)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_type", "prompt",
			"Invalid type for 'prompt': expected a string, an array of strings, or an array of token arrays.")
		return
	}
	if simulateFailure(w, r, m) {
		return
	}
	rp := makeReply(said, prompt, limit)
	id := "cmpl-" + s.nextID()
	created := time.Now().Unix()
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		s.streamCompletion(w, r, id, created, req.Model, &rp, includeUsage, m.behaviour == streamCut)
		return
	}

	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"object":"text_completion","created":`...)
	b = appendInt(b, created)
	b = append(b, `,"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"system_fingerprint":"`+fingerprint+`","choices":[{"text":`...)
	b = appendString(b, rp.text())
	b = append(b, `,"index":0,"logprobs":null,"finish_reason":`...)
	b = appendString(b, rp.finish)
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, rp.promptTokens, rp.completionTokens, false)
	b = append(b, "}\n"...)
	*bp = b
	if m.behaviour == streamCut {
		writeCut(w, b)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// promptText reads the legacy prompt, which may be a string, an array of
// strings, an array of token ids or an array of token arrays. Token arrays
// have no text to echo; their length is their token count.
func promptText(raw json.RawMessage) (text string, tokens int, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", 0, true
	}
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", 0, false
		}
		return text, estimateTokens(text), true
	case '[':
		var strs []string
		if json.Unmarshal(raw, &strs) == nil {
			for _, s := range strs {
				tokens += estimateTokens(s)
			}
			return strings.Join(strs, " "), tokens, true
		}
		var ids []int64
		if json.Unmarshal(raw, &ids) == nil {
			return "", len(ids), true
		}
		var batches [][]int64
		if json.Unmarshal(raw, &batches) == nil {
			for _, b := range batches {
				tokens += len(b)
			}
			return "", tokens, true
		}
	}
	return "", 0, false
}

// appendUsage writes the usage object. Chat completions carry the detail
// objects OpenAI sends (gateways read cached_tokens from them); the legacy
// endpoint has only the three totals.
func appendUsage(b []byte, prompt, completion int, details bool) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	if details {
		b = append(b, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}`...)
	}
	return append(b, '}')
}

// writeCut declares the full length but sends only half of the body, so the
// client sees the connection end early (an unexpected EOF), as when an
// upstream dies mid-answer.
func writeCut(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:len(body)/2])
}

// chatTools answers a chat call that offers function tools, ends with a
// tool's result or asks for reasoning (reasoning_effort: reasoning_content
// comes first): a function (see pickTool) is called with {"query": <the
// user's text>}, and after a result the answer is "The tool said: …". Tool calls
// are rare next to plain chat, so this path favours clarity over the
// appending the plain path does.
func (s *server) chatTools(w http.ResponseWriter, r *http.Request, req *chatRequest, id string, created int64, said string, toolResult bool, rp *reply) {
	tool := ""
	if !toolResult {
		var names []string
		for _, t := range req.Tools {
			if t.Type == "function" {
				names = append(names, t.Function.Name)
			}
		}
		tool = pickTool(names, said)
	}
	if toolResult {
		rp.pieces = splitPieces("The tool said: " + truncateRunes(said, echoLimit))
		rp.completionTokens, rp.finish = len(rp.pieces), "stop"
	}
	var calls []map[string]any
	args := ""
	if tool != "" {
		b, _ := json.Marshal(map[string]string{"query": said})
		args = string(b)
		calls = []map[string]any{{"index": 0, "id": "call_" + strings.TrimPrefix(id, "chatcmpl-"), "type": "function",
			"function": map[string]string{"name": tool, "arguments": args}}}
		rp.pieces, rp.completionTokens, rp.finish = nil, 5, "tool_calls"
	}
	reasoning := ""
	if req.ReasoningEffort != "" {
		reasoning = "Thinking (" + req.ReasoningEffort + ") about: " + truncateRunes(said, echoLimit)
	}
	usage := map[string]int{"prompt_tokens": rp.promptTokens, "completion_tokens": rp.completionTokens, "total_tokens": rp.promptTokens + rp.completionTokens}
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if reasoning != "" {
			msg["reasoning_content"] = reasoning
		}
		if t := rp.text(); t != "" {
			msg["content"] = t
		}
		if calls != nil {
			delete(calls[0], "index")
			msg["tool_calls"] = calls
		}
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion", "created": created, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": rp.finish}},
			"usage":   usage, "system_fingerprint": fingerprint})
		writeJSON(w, http.StatusOK, append(b, '\n'))
		return
	}
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	e := newSSEWriter(w)
	defer e.close()
	chunk := func(delta map[string]any, finish any, u any) {
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"system_fingerprint": fingerprint, "choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
		if u != nil {
			c["choices"] = []any{}
			c["usage"] = u
		}
		b, _ := json.Marshal(c)
		e.send(append(e.begin(), b...))
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil, nil)
	for _, p := range splitPieces(reasoning) {
		if reasoning != "" {
			chunk(map[string]any{"reasoning_content": p}, nil, nil)
		}
	}
	for _, p := range rp.pieces {
		if !s.pause(r, e) {
			return
		}
		chunk(map[string]any{"content": p}, nil, nil)
	}
	if calls != nil {
		half := len(args) / 2
		first := map[string]any{"index": 0, "id": calls[0]["id"], "type": "function", "function": map[string]string{"name": tool, "arguments": args[:half]}}
		chunk(map[string]any{"tool_calls": []any{first}}, nil, nil)
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]string{"arguments": args[half:]}}}}, nil, nil)
	}
	chunk(map[string]any{}, rp.finish, nil)
	if includeUsage {
		chunk(nil, nil, usage)
	}
	e.done()
}

// pickTool chooses the tool the fake calls: one whose name the user's text
// mentions, else the only one offered; with several and none named it
// answers in text, so a client offering many tools (a coding agent) gets
// an answer unless it asks for a tool by name.
func pickTool(names []string, said string) string {
	for _, n := range names {
		if n != "" && strings.Contains(said, n) {
			return n
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return ""
}
