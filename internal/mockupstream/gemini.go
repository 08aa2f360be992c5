package mockupstream

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// NewGemini returns a fake of Google's Generative Language API
// (POST /v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse). It answers like the other fakes
// ("Hello from the mock upstream. You said: …"), calls a declared (pickTool)
// function with {"query": …} when functions are offered and the last user
// turn is not a functionResponse, and answers "The tool said: …" after one.
// Model names containing error-401, error-429, error-500 or stream-cut
// simulate those failures. It checks x-goog-api-key when Options.APIKey is
// set.
//
// It also serves :countTokens, :embedContent, :batchEmbedContents and
// GET /v1beta/models (/v1beta/models/{model}) in Google's shapes; the key
// may also come as ?key=, as Google accepts it.
func NewGemini(o Options) http.Handler {
	generate := geminiGenerate(o)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Goog-Api-Key")
		if key == "" {
			key = r.URL.Query().Get("key")
		}
		if o.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(o.APIKey)) != 1 {
			geminiError(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/v1beta/models" {
			writeJSON(w, 200, geminiModelList())
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
		model, method, ok2 := strings.Cut(rest, ":")
		switch {
		case ok && !ok2 && r.Method == http.MethodGet && model != "":
			b, _ := json.Marshal(geminiModel(model))
			writeJSON(w, 200, b)
		case !ok || !ok2 || r.Method != http.MethodPost:
			geminiError(w, 404, "NOT_FOUND", "Requested entity was not found.")
		case method == "generateContent" || method == "streamGenerateContent":
			generate(w, r, model, method == "streamGenerateContent")
		case method == "countTokens":
			geminiCountTokens(w, r)
		case method == "embedContent" || method == "batchEmbedContents":
			geminiEmbed(w, r, model, method == "batchEmbedContents")
		default:
			geminiError(w, 404, "NOT_FOUND", "Method not found.")
		}
	})
}

// geminiModels are the models the fake lists.
var geminiModels = []string{"gemini-mock", "gemini-mock-embed"}

func geminiModel(id string) map[string]any {
	methods := []string{"generateContent", "streamGenerateContent", "countTokens"}
	if strings.Contains(id, "embed") {
		methods = []string{"embedContent", "batchEmbedContents"}
	}
	return map[string]any{"name": "models/" + id, "version": "001", "displayName": id, "description": "keygate mock model",
		"inputTokenLimit": 1048576, "outputTokenLimit": 65536, "supportedGenerationMethods": methods}
}

func geminiModelList() []byte {
	ms := []any{}
	for _, id := range geminiModels {
		ms = append(ms, geminiModel(id))
	}
	b, _ := json.Marshal(map[string]any{"models": ms})
	return b
}

// geminiCountTokens answers {"totalTokens": n} with the estimate
// generateContent reports as promptTokenCount.
func geminiCountTokens(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !json.Valid(body) {
		geminiError(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	b, _ := json.Marshal(map[string]int{"totalTokens": estimateTokens(string(body))})
	writeJSON(w, 200, b)
}

// geminiEmbed serves :embedContent ({"content":…} → {"embedding":{"values"}})
// and :batchEmbedContents ({"requests":[…]} → {"embeddings":[…]}), with the
// OpenAI fake's deterministic vectors.
func geminiEmbed(w http.ResponseWriter, r *http.Request, model string, batch bool) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	type content struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	}
	type one struct {
		Model   string   `json:"model"`
		Content *content `json:"content"`
	}
	var req struct {
		one
		Requests []one `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		geminiError(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	items := []one{req.one}
	if batch {
		items = req.Requests
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		if it.Content == nil {
			geminiError(w, 400, "INVALID_ARGUMENT", fmt.Sprintf("* EmbedContentRequest.content: content is not specified (request %d)", i))
			return
		}
		var text strings.Builder
		for _, p := range it.Content.Parts {
			text.WriteString(p.Text)
		}
		v := embedVector(text.String())
		out = append(out, map[string]any{"values": v[:]})
	}
	var b []byte
	if batch {
		b, _ = json.Marshal(map[string]any{"embeddings": out})
	} else {
		b, _ = json.Marshal(map[string]any{"embedding": out[0]})
	}
	writeJSON(w, 200, b)
}

func geminiGenerate(o Options) func(w http.ResponseWriter, r *http.Request, model string, stream bool) {
	var seq atomic.Uint64
	return func(w http.ResponseWriter, r *http.Request, model string, stream bool) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Contents []struct {
				Role  string `json:"role"`
				Parts []struct {
					Text             *string         `json:"text"`
					FunctionResponse json.RawMessage `json:"functionResponse"`
				} `json:"parts"`
			} `json:"contents"`
			Tools []struct {
				FunctionDeclarations []struct {
					Name string `json:"name"`
				} `json:"functionDeclarations"`
			} `json:"tools"`
			GenerationConfig *struct {
				MaxOutputTokens int `json:"maxOutputTokens"`
				ThinkingConfig  *struct {
					IncludeThoughts bool `json:"includeThoughts"`
				} `json:"thinkingConfig"`
			} `json:"generationConfig"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			geminiError(w, 400, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
			return
		}
		switch {
		case len(req.Contents) == 0:
			geminiError(w, 400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")
			return
		case strings.Contains(model, "error-401"):
			geminiError(w, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
			return
		case strings.Contains(model, "error-429"):
			geminiError(w, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
			return
		case strings.Contains(model, "error-500"):
			geminiError(w, 500, "INTERNAL", "An internal error has occurred.")
			return
		}
		last := req.Contents[len(req.Contents)-1]
		var said strings.Builder
		toolResult := false
		for _, p := range last.Parts {
			if p.Text != nil {
				said.WriteString(*p.Text)
			}
			if len(p.FunctionResponse) > 0 {
				toolResult = true
				said.Write(p.FunctionResponse)
			}
		}
		maxTok := 0
		if req.GenerationConfig != nil {
			maxTok = req.GenerationConfig.MaxOutputTokens
		}
		prompt := estimateTokens(string(body))
		rp := makeReply(said.String(), prompt, maxTok)
		if toolResult {
			rp.pieces = splitPieces("The tool said: " + truncateRunes(said.String(), echoLimit))
			rp.completionTokens = len(rp.pieces)
		}
		var call map[string]any
		var names []string
		for _, t := range req.Tools {
			for _, f := range t.FunctionDeclarations {
				names = append(names, f.Name)
			}
		}
		if name := pickTool(names, said.String()); !toolResult && name != "" {
			call = map[string]any{"name": name, "args": map[string]string{"query": said.String()}}
			rp.pieces, rp.completionTokens = nil, 5
		}
		finish := "STOP"
		if rp.finish == "length" {
			finish = "MAX_TOKENS"
		}
		id := fmt.Sprintf("mockresp%06d", seq.Add(1))
		usage := map[string]int{"promptTokenCount": rp.promptTokens, "candidatesTokenCount": rp.completionTokens,
			"totalTokenCount": rp.promptTokens + rp.completionTokens}
		chunk := func(parts []map[string]any, fin string, withUsage bool) []byte {
			c := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
			if fin != "" {
				c["finishReason"] = fin
			}
			m := map[string]any{"candidates": []any{c}, "modelVersion": model, "responseId": id}
			if withUsage {
				m["usageMetadata"] = usage
			}
			b, _ := json.Marshal(m)
			return b
		}
		var thought map[string]any
		if gc := req.GenerationConfig; gc != nil && gc.ThinkingConfig != nil && gc.ThinkingConfig.IncludeThoughts {
			thought = map[string]any{"text": "Thinking about: " + truncateRunes(said.String(), echoLimit), "thought": true}
		}
		if !stream {
			parts := []map[string]any{}
			if thought != nil {
				parts = append(parts, thought)
			}
			if t := rp.text(); t != "" {
				parts = append(parts, map[string]any{"text": t})
			}
			if call != nil {
				parts = append(parts, map[string]any{"functionCall": call})
			}
			writeJSON(w, 200, chunk(parts, finish, true))
			return
		}
		sse := r.URL.Query().Get("alt") == "sse"
		if sse {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		}
		w.WriteHeader(200)
		rc := http.NewResponseController(w)
		n := 0
		send := func(b []byte) {
			if sse {
				fmt.Fprintf(w, "data: %s\r\n\r\n", b)
			} else {
				if n == 0 {
					w.Write([]byte("["))
				} else {
					w.Write([]byte(",\r\n"))
				}
				w.Write(b)
			}
			n++
			_ = rc.Flush()
		}
		if thought != nil {
			send(chunk([]map[string]any{thought}, "", false))
		}
		for i, p := range rp.pieces {
			if o.ChunkDelay > 0 && sleep(r.Context(), o.ChunkDelay) != nil {
				return
			}
			if i == len(rp.pieces)-1 && call == nil {
				break // the last piece goes with the finish reason
			}
			send(chunk([]map[string]any{{"text": p}}, "", false))
			if i == 1 && strings.Contains(model, "stream-cut") {
				return
			}
		}
		var parts []map[string]any
		if call != nil {
			parts = append(parts, map[string]any{"functionCall": call})
		} else if len(rp.pieces) > 0 {
			parts = append(parts, map[string]any{"text": rp.pieces[len(rp.pieces)-1]})
		}
		send(chunk(parts, finish, true))
		if !sse {
			w.Write([]byte("]"))
		}
	}
}

func geminiError(w http.ResponseWriter, status int, st, msg string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": msg, "status": st}})
	writeJSON(w, status, b)
}
