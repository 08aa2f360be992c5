package mockupstream

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
)

// embedDims is small on purpose: the vectors only need to be stable and
// distinct per input, and small bodies keep tests readable.
const embedDims = 8

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
}

// embedInputs turns the input (a string, an array of strings, an array of
// token ids, or an array of token arrays) into one hash key per item plus
// the token count. Token inputs are keyed by their JSON text so the same
// ids always give the same vector.
func embedInputs(raw json.RawMessage) (keys []string, tokens int, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, 0, false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, 0, false
		}
		return []string{s}, max(1, estimateTokens(s)), true
	case '[':
		var strs []string
		if json.Unmarshal(raw, &strs) == nil {
			for _, s := range strs {
				tokens += max(1, estimateTokens(s))
			}
			return strs, tokens, len(strs) > 0
		}
		var ids []int64
		if json.Unmarshal(raw, &ids) == nil {
			return []string{string(raw)}, len(ids), len(ids) > 0
		}
		var batches []json.RawMessage
		if json.Unmarshal(raw, &batches) == nil && len(batches) > 0 {
			for _, b := range batches {
				var one []int64
				if json.Unmarshal(b, &one) != nil {
					return nil, 0, false
				}
				keys = append(keys, string(b))
				tokens += len(one)
			}
			return keys, tokens, true
		}
	}
	return nil, 0, false
}

// embedVector derives a unit-length vector from a hash of the text: a
// splitmix64 sequence seeded by FNV-1a, mapped to [-1, 1] and normalised
// like real embeddings so cosine similarity behaves.
func embedVector(text string) [embedDims]float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	x := h.Sum64()
	var v [embedDims]float32
	var norm float64
	for i := range v {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f := float64(z>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		norm += f * f
	}
	norm = math.Sqrt(norm)
	if norm > 0 {
		for i := range v {
			v[i] = float32(float64(v[i]) / norm)
		}
	}
	return v
}

func (s *server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req embeddingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badJSON(w, err)
		return
	}
	m := resolveModel(w, req.Model, kindEmbed)
	if m == nil {
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "encoding_format",
			"Invalid value for 'encoding_format': expected 'float' or 'base64', got '"+req.EncodingFormat+"'.")
		return
	}
	keys, tokens, ok := embedInputs(req.Input)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_type", "input",
			"Invalid 'input': expected a non-empty string, array of strings, or array of token arrays.")
		return
	}
	if simulateFailure(w, r, m) {
		return
	}

	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"object":"list","data":[`...)
	var raw [embedDims * 4]byte
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		v := embedVector(k)
		if req.EncodingFormat == "base64" {
			// OpenAI's base64 form is the little-endian float32 array.
			for j, f := range v {
				binary.LittleEndian.PutUint32(raw[j*4:], math.Float32bits(f))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw[:])
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendString(b, req.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, "}}\n"...)
	*bp = b
	if m.behaviour == streamCut {
		writeCut(w, b)
		return
	}
	writeJSON(w, http.StatusOK, b)
}
