package mockupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// responsesRequest holds what the fake reads of a Responses API request.
type responsesRequest struct {
	Model           string          `json:"model"`
	Input           json.RawMessage `json:"input"`
	Instructions    string          `json:"instructions"`
	Stream          bool            `json:"stream"`
	MaxOutputTokens *int            `json:"max_output_tokens"`
	Tools           []struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tools"`
}

// responsesInput reads the last user text of a Responses input (a string or
// a list of items) and whether the last item is a tool's output.
func responsesInput(raw json.RawMessage) (said string, toolResult, ok bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false, true
	}
	var items []struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
		Output  json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 {
		return "", false, false
	}
	for _, it := range items {
		switch {
		case it.Type == "function_call_output" || it.Type == "custom_tool_call_output":
			said, toolResult = outputText(it.Output), true
		case (it.Type == "" || it.Type == "message") && it.Role == "user":
			said, toolResult = outputText(it.Content), false
		}
	}
	return said, toolResult, true
}

// outputText is the text of a string or of an array of text parts.
func outputText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// responses serves POST /v1/responses like OpenAI's Responses API: a
// response object, or with "stream": true its event sequence ending at
// response.completed (no [DONE]). When function tools are offered and the
// last input item is not a tool's output, it calls one (see pickTool) with
// {"query": <the user's text>}; after an output it answers "The tool said: …".
func (s *server) responses(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req responsesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badJSON(w, err)
		return
	}
	m := resolveModel(w, req.Model, kindChat)
	if m == nil {
		return
	}
	if len(req.Input) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_required_parameter", "input", "Missing required parameter: 'input'.")
		return
	}
	said, toolResult, ok := responsesInput(req.Input)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_type", "input",
			"Invalid type for 'input': expected a string or an array of input items.")
		return
	}
	limit, ok := maxTokensParam(w, "max_output_tokens", req.MaxOutputTokens)
	if !ok {
		return
	}
	if simulateFailure(w, r, m) {
		return
	}
	prompt := estimateTokens(string(body))
	rp := makeReply(said, prompt, limit)
	if toolResult {
		rp.pieces = splitPieces("The tool said: " + truncateRunes(said, echoLimit))
		rp.completionTokens = len(rp.pieces)
	}
	tool := ""
	if !toolResult {
		var names []string
		for _, t := range req.Tools {
			if t.Type == "function" {
				names = append(names, t.Name)
			}
		}
		tool = pickTool(names, said)
	}
	seq := s.nextID()
	id, msgID, callID := "resp_"+seq, "msg_"+seq, "call_"+seq
	args := ""
	if tool != "" {
		b, _ := json.Marshal(map[string]string{"query": said})
		args, rp.pieces, rp.completionTokens = string(b), nil, 5
	}
	created := time.Now().Unix()
	status, incomplete := "completed", any(nil)
	if rp.finish == "length" {
		status, incomplete = "incomplete", map[string]string{"reason": "max_output_tokens"}
	}
	message := func(st, text string) map[string]any {
		content := []any{}
		if st == "completed" {
			content = append(content, map[string]any{"type": "output_text", "text": text, "annotations": []any{}})
		}
		return map[string]any{"type": "message", "id": msgID, "status": st, "role": "assistant", "content": content}
	}
	call := func(st, a string) map[string]any {
		return map[string]any{"type": "function_call", "id": "fc_" + seq, "call_id": callID, "name": tool, "arguments": a, "status": st}
	}
	object := func(st string, output []any, withUsage bool) map[string]any {
		o := map[string]any{"id": id, "object": "response", "created_at": created, "status": st, "error": nil,
			"incomplete_details": nil, "instructions": nilIfEmpty(req.Instructions), "model": req.Model, "output": output,
			"parallel_tool_calls": true, "tool_choice": "auto", "tools": []any{}, "text": map[string]any{"format": map[string]string{"type": "text"}},
			"usage": nil, "metadata": map[string]any{}}
		if st != "in_progress" {
			o["incomplete_details"] = incomplete
		}
		if withUsage {
			o["usage"] = map[string]any{"input_tokens": rp.promptTokens, "input_tokens_details": map[string]int{"cached_tokens": 0},
				"output_tokens": rp.completionTokens, "output_tokens_details": map[string]int{"reasoning_tokens": 0},
				"total_tokens": rp.promptTokens + rp.completionTokens}
		}
		return o
	}
	var final []any
	if tool != "" {
		final = []any{call("completed", args)}
	} else {
		final = []any{message("completed", rp.text())}
	}
	if !req.Stream {
		b, _ := json.Marshal(object(status, final, true))
		if m.behaviour == streamCut {
			writeCut(w, b)
			return
		}
		writeJSON(w, http.StatusOK, append(b, '\n'))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	n := 0
	send := func(typ string, fields map[string]any) bool {
		fields["type"], fields["sequence_number"] = typ, n
		n++
		b, _ := json.Marshal(fields)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	send("response.created", map[string]any{"response": object("in_progress", []any{}, false)})
	send("response.in_progress", map[string]any{"response": object("in_progress", []any{}, false)})
	if tool != "" {
		send("response.output_item.added", map[string]any{"output_index": 0, "item": call("in_progress", "")})
		half := len(args) / 2
		for _, part := range []string{args[:half], args[half:]} {
			send("response.function_call_arguments.delta", map[string]any{"item_id": "fc_" + seq, "output_index": 0, "delta": part})
		}
		send("response.function_call_arguments.done", map[string]any{"item_id": "fc_" + seq, "output_index": 0, "name": tool, "arguments": args})
		send("response.output_item.done", map[string]any{"output_index": 0, "item": final[0]})
	} else {
		send("response.output_item.added", map[string]any{"output_index": 0, "item": message("in_progress", "")})
		send("response.content_part.added", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
		for i, p := range rp.pieces {
			if s.opts.ChunkDelay > 0 && sleep(r.Context(), s.opts.ChunkDelay) != nil {
				return
			}
			if !send("response.output_text.delta", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "delta": p, "logprobs": []any{}}) {
				return
			}
			if i == 1 && m.behaviour == streamCut {
				return // the connection ends without response.completed
			}
		}
		text := rp.text()
		send("response.output_text.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0, "text": text, "logprobs": []any{}})
		send("response.content_part.done", map[string]any{"item_id": msgID, "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": text, "annotations": []any{}}})
		send("response.output_item.done", map[string]any{"output_index": 0, "item": final[0]})
	}
	typ := "response.completed"
	if status == "incomplete" {
		typ = "response.incomplete"
	}
	send(typ, map[string]any{"response": object(status, final, true)})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
