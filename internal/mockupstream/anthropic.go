package mockupstream

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// NewAnthropic returns a fake of Anthropic's Messages API (POST
// /v1/messages), deterministic like the OpenAI fake: it answers "Hello from
// the mock upstream. You said: …", streams the answer word by word with
// Anthropic's event sequence, and exercises tools: when the request offers
// tools and the last user turn is not a tool result, it calls a tool (pickTool: the one the text names, or the only one)
// with {"query": <the user's text>}; after a tool result it answers
// "The tool said: …". Model names containing error-401, error-429,
// error-500 or stream-cut simulate those failures. It checks x-api-key
// (when Options.APIKey is set) and anthropic-version like the real API.
//
// It also serves POST /v1/messages/count_tokens and GET /v1/models
// (/v1/models/{id}) in Anthropic's shapes.
func NewAnthropic(o Options) http.Handler {
	messages := anthropicMessages(o)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Request-Id", "req_mock"+strconv.FormatInt(time.Now().UnixNano(), 36))
		if o.APIKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(o.APIKey)) != 1 {
			anthropicError(w, 401, "authentication_error", "invalid x-api-key")
			return
		}
		if r.Header.Get("Anthropic-Version") == "" {
			anthropicError(w, 400, "invalid_request_error", "anthropic-version: header is required")
			return
		}
		p := r.URL.Path
		switch {
		case r.Method == http.MethodPost && p == "/v1/messages":
			messages(w, r)
		case r.Method == http.MethodPost && p == "/v1/messages/count_tokens":
			anthropicCountTokens(w, r)
		case r.Method == http.MethodGet && p == "/v1/models":
			writeJSON(w, 200, anthropicModelList())
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/models/"):
			id := strings.TrimPrefix(p, "/v1/models/")
			if !strings.HasPrefix(id, "claude") {
				anthropicError(w, 404, "not_found_error", "model: "+id)
				return
			}
			b, _ := json.Marshal(anthropicModel(id))
			writeJSON(w, 200, b)
		default:
			anthropicError(w, 404, "not_found_error", "Not found: "+r.Method+" "+p)
		}
	})
}

// anthropicModels are the models the fake lists.
var anthropicModels = []string{"claude-mock", "claude-mock-20250101"}

func anthropicModel(id string) map[string]any {
	return map[string]any{"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"}
}

func anthropicModelList() []byte {
	data := []any{}
	for _, id := range anthropicModels {
		data = append(data, anthropicModel(id))
	}
	b, _ := json.Marshal(map[string]any{"data": data, "has_more": false, "first_id": anthropicModels[0], "last_id": anthropicModels[len(anthropicModels)-1]})
	return b
}

// anthropicCountTokens answers {"input_tokens": n} with the same estimate
// the messages answer reports.
func anthropicCountTokens(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Model    string            `json:"model"`
		Messages []json.RawMessage `json:"messages"`
	}
	switch err := json.Unmarshal(body, &req); {
	case err != nil:
		anthropicError(w, 400, "invalid_request_error", "invalid JSON: "+err.Error())
	case req.Model == "":
		anthropicError(w, 400, "invalid_request_error", "model: Field required")
	case len(req.Messages) == 0:
		anthropicError(w, 400, "invalid_request_error", "messages: Field required")
	default:
		b, _ := json.Marshal(map[string]int{"input_tokens": estimateTokens(string(body))})
		writeJSON(w, 200, b)
	}
}

func anthropicMessages(o Options) http.HandlerFunc {
	var seq atomic.Uint64
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			Stream    bool   `json:"stream"`
			System    json.RawMessage
			Messages  []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			anthropicError(w, 400, "invalid_request_error", "invalid JSON: "+err.Error())
			return
		}
		switch {
		case req.Model == "":
			anthropicError(w, 400, "invalid_request_error", "model: Field required")
			return
		case req.MaxTokens <= 0:
			anthropicError(w, 400, "invalid_request_error", "max_tokens: Field required")
			return
		case len(req.Messages) == 0:
			anthropicError(w, 400, "invalid_request_error", "messages: at least one message is required")
			return
		case strings.Contains(req.Model, "error-401"):
			anthropicError(w, 401, "authentication_error", "invalid x-api-key")
			return
		case strings.Contains(req.Model, "error-429"):
			w.Header().Set("Retry-After", "1")
			anthropicError(w, 429, "rate_limit_error", "Number of requests has exceeded your rate limit")
			return
		case strings.Contains(req.Model, "error-500"):
			anthropicError(w, 500, "api_error", "Internal server error")
			return
		}
		// The last turn, past mid-conversation system messages (Claude Code
		// sends its environment as one after the user's first message).
		last := req.Messages[len(req.Messages)-1]
		for i := len(req.Messages) - 1; i > 0 && last.Role == "system"; i-- {
			last = req.Messages[i-1]
		}
		said, toolResult := anthropicTurnText(last.Content)
		prompt := estimateTokens(string(body))
		id := fmt.Sprintf("msg_mock%06d", seq.Add(1))
		var toolName, toolInput string
		if len(req.Tools) > 0 && !toolResult && last.Role == "user" {
			var names []string
			for _, t := range req.Tools {
				names = append(names, t.Name)
			}
			toolName = pickTool(names, said)
		}
		if toolName != "" {
			b, _ := json.Marshal(map[string]string{"query": said})
			toolInput = string(b)
		}
		rp := makeReply(said, prompt, req.MaxTokens)
		if toolResult {
			rp = makeReply("", prompt, req.MaxTokens)
			rp.pieces = splitPieces("The tool said: " + truncateRunes(said, echoLimit))
			rp.completionTokens = len(rp.pieces)
		}
		stop := "end_turn"
		if rp.finish == "length" {
			stop = "max_tokens"
		}
		if toolName != "" {
			stop = "tool_use"
			rp.pieces, rp.completionTokens = nil, 5
		}
		if !req.Stream {
			content := []map[string]any{}
			if t := rp.text(); t != "" {
				content = append(content, map[string]any{"type": "text", "text": t})
			}
			if toolName != "" {
				content = append(content, map[string]any{"type": "tool_use", "id": "toolu_" + id[4:], "name": toolName, "input": json.RawMessage(toolInput)})
			}
			b, _ := json.Marshal(map[string]any{"id": id, "type": "message", "role": "assistant", "model": req.Model,
				"content": content, "stop_reason": stop, "stop_sequence": nil,
				"usage": map[string]int{"input_tokens": rp.promptTokens, "output_tokens": rp.completionTokens}})
			writeJSON(w, 200, b)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(200)
		rc := http.NewResponseController(w)
		send := func(typ string, v any) {
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b)
			_ = rc.Flush()
		}
		send("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": id, "type": "message",
			"role": "assistant", "model": req.Model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil,
			"usage": map[string]int{"input_tokens": rp.promptTokens, "output_tokens": 1}}})
		idx := 0
		if len(rp.pieces) > 0 {
			send("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
			send("ping", map[string]any{"type": "ping"})
			for i, p := range rp.pieces {
				if o.ChunkDelay > 0 && sleep(r.Context(), o.ChunkDelay) != nil {
					return
				}
				send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": p}})
				if i == 1 && strings.Contains(req.Model, "stream-cut") {
					return // the connection ends without message_stop
				}
			}
			send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
			idx++
		}
		if toolName != "" {
			send("content_block_start", map[string]any{"type": "content_block_start", "index": idx,
				"content_block": map[string]any{"type": "tool_use", "id": "toolu_" + id[4:], "name": toolName, "input": map[string]any{}}})
			half := len(toolInput) / 2
			for _, part := range []string{toolInput[:half], toolInput[half:]} {
				send("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx, "delta": map[string]any{"type": "input_json_delta", "partial_json": part}})
			}
			send("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx})
		}
		send("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
			"usage": map[string]int{"output_tokens": rp.completionTokens}})
		send("message_stop", map[string]any{"type": "message_stop"})
	}
}

// anthropicTurnText returns the text of a turn's content and whether it is
// a tool result.
func anthropicTurnText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false
	}
	var blocks []struct {
		Type    string          `json:"type"`
		Text    string          `json:"text"`
		Content json.RawMessage `json:"content"`
	}
	_ = json.Unmarshal(raw, &blocks)
	var b strings.Builder
	isResult := false
	for _, bl := range blocks {
		switch bl.Type {
		case "text":
			b.WriteString(bl.Text)
		case "tool_result":
			isResult = true
			t, _ := anthropicTurnText(bl.Content)
			b.WriteString(t)
		}
	}
	return b.String(), isResult
}

func anthropicError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
	writeJSON(w, status, b)
}
