package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/keygate/keygate/internal/jsonscan"
)

// parseInbound reads the fields of inbound out of a request body.
//
// The gateway needs a handful of top-level fields of bodies that are often
// many kilobytes of messages; encoding/json spends ~4 ns a byte on them
// (72 µs for 16 KiB), more than everything else the gateway does for a
// call. scanInbound validates the whole body as strictly as encoding/json
// but only decodes the fields it needs, at about a fifth of the cost. Any
// body it is not sure of — invalid JSON, escaped keys or model names, a
// field of an unexpected type — goes to encoding/json instead, so the
// result and the error message for a bad body are exactly encoding/json's.
func parseInbound(body []byte, in *inbound) error {
	if scanInbound(body, in) {
		return nil
	}
	*in = inbound{}
	return json.Unmarshal(body, in)
}

// inboundTags are the JSON names of inbound's fields. A member with one of
// these names that scanInbound does not decode itself sends the body to
// encoding/json, so a field added to inbound is never silently left empty.
var inboundTags = func() []string {
	var out []string
	t := reflect.TypeFor[inbound]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}()

// scanInbound fills in from body and reports true when body is a valid
// JSON object whose inbound fields it could decode exactly as
// encoding/json would; on false, in is unspecified.
func scanInbound(body []byte, in *inbound) bool {
	var out inbound
	end, ok := jsonscan.Members(body, jsonscan.Space(body, 0), func(key, val []byte) bool { return assignInbound(&out, key, val) })
	if !ok || jsonscan.Space(body, end) != len(body) {
		return false
	}
	*in = out
	return true
}

// assignInbound decodes one top-level member into out. Names match
// case-insensitively, as encoding/json matches them (keys here are ASCII).
func assignInbound(out *inbound, key, val []byte) bool {
	null := string(val) == "null" // encoding/json leaves the field as it is
	switch {
	case bytes.EqualFold(key, []byte("model")):
		if null {
			return true
		}
		if val[0] != '"' {
			return false
		}
		s := val[1 : len(val)-1]
		for _, c := range s {
			if c == '\\' || c >= 0x80 { // escapes, and invalid UTF-8 that encoding/json would replace
				return false
			}
		}
		out.Model = string(s)
	case bytes.EqualFold(key, []byte("stream")):
		switch string(val) {
		case "true":
			out.Stream = true
		case "false":
			out.Stream = false
		case "null":
		default:
			return false
		}
	case bytes.EqualFold(key, []byte("stream_options")):
		out.StreamOptions = json.RawMessage(val) // aliases the body, which outlives the call
	case bytes.EqualFold(key, []byte("max_tokens")):
		return null || parseIntField(val, &out.MaxTokens)
	case bytes.EqualFold(key, []byte("max_completion_tokens")):
		return null || parseIntField(val, &out.MaxCompletionTokens)
	case bytes.EqualFold(key, []byte("max_output_tokens")):
		return null || parseIntField(val, &out.MaxOutputTokens)
	default:
		for _, t := range inboundTags {
			if bytes.EqualFold(key, []byte(t)) {
				return false // a field of inbound this scanner does not know
			}
		}
	}
	return true
}

// parseIntField decodes a JSON integer that fits an int32 into dst.
func parseIntField(val []byte, dst *int) bool {
	n, ok := jsonscan.Int(val)
	if ok {
		*dst = n
	}
	return ok
}
