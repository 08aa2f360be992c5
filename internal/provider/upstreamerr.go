package provider

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// UpstreamWords reads an upstream's error body in any of the vendors'
// envelopes — OpenAI {"error":{"message","type","code","param"}},
// Anthropic {"type":"error","error":{"type","message"}}, Google
// {"error":{"code":400,"message","status"}} — and returns its message, its
// own code or type, and the parameter it names. A body in none of them
// (an HTML page, plain text) is returned whole as the message.
func UpstreamWords(body []byte) (msg, code, param string) {
	body = bytes.TrimSpace(body)
	var env struct {
		Error json.RawMessage `json:"error"`
		// Some OpenAI-compatible servers answer {"message": …, "code": …}.
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil {
		var e struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Param   *string         `json:"param"`
			Status  string          `json:"status"`
		}
		var s string
		switch {
		case json.Unmarshal(env.Error, &e) == nil && e.Message != "":
			code = jsonString(e.Code)
			if code == "" {
				code = e.Status
			}
			if code == "" {
				code = e.Type
			}
			if e.Param != nil {
				param = *e.Param
			}
			return e.Message, code, param
		case json.Unmarshal(env.Error, &s) == nil && s != "":
			return s, jsonString(env.Code), ""
		case env.Message != "":
			return env.Message, jsonString(env.Code), ""
		case env.Detail != "":
			return env.Detail, "", ""
		}
	}
	if !utf8.Valid(body) {
		return "(a body that is not text)", "", ""
	}
	return string(body), "", ""
}

// jsonString is a JSON string's value, a number's text, or "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
