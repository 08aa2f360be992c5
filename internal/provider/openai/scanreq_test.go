package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// parseContentJSON is parseContent reading with encoding/json only, the
// reference for its scanner.
func parseContentJSON(i int, raw json.RawMessage) ([]provider.Part, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil, nil
		}
		return []provider.Part{{Type: provider.PartText, Text: s}}, nil
	}
	var parts []chatPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, provider.Invalid("content", "not parts")
	}
	var ps []provider.Part
	for _, p := range parts {
		switch p.Type {
		case "text":
			ps = append(ps, provider.Part{Type: provider.PartText, Text: p.Text})
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, provider.Invalid("image_url", "no url")
			}
			ps = append(ps, ImagePart(p.ImageURL.URL))
		default:
			return nil, provider.Invalid("type", "type")
		}
	}
	return ps, nil
}

// requestSeeds are request bodies of the real clients and the tests.
func requestSeeds(f *testing.F) {
	for _, glob := range []string{"testdata/clients/*chat*.json", "../*/testdata/*/*.openai.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`,
		` {"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"be \u00e9 \xff"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA","detail":"low"}}]}],"temperature":0.7,"top_p":1e-3,"max_tokens":12,"max_completion_tokens":null,"stop":["a","b"],"n":1,"logprobs":false,"user":"u","reasoning_effort":"low","presence_penalty":0,"frequency_penalty":-0.5e1} `,
		`{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false,"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{},"strict":true}}}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","name":"f","content":"ok"}]}`,
		`{"Model":"m","messages":[]}`,
		`{"model":"m","model":"n"}`,
		`{"model":"m","logit_bias":{"1":2},"store":true,"seed":null,"seed":3,"metadata":{},"x":null}`,
		`{"model":"m","mod\u0065l":"n"}`,
		`{"model":"m","messages":[null]}`,
		`{"model":"m","messages":[{"role":"user","content":[null]}]}`,
		`{"model":"m","max_tokens":1e3}`,
		`{"model":"m","max_tokens":12345678901}`,
		`{"model":"m","temperature":1e400}`,
		`{"model":"m","temperature":"1"}`,
		`{"model":"m","stream":1}`,
		`{"model":"m","stream_options":{"include_usage":null,"Include_usage":true}}`,
		`{"model":"m"} x`,
		`{"model":"m","ünï":1}`,
		`null`,
		`[]`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a","TEXT":"b"}]}]}`,
	} {
		f.Add([]byte(s))
	}
}

// The scanner reads every request as encoding/json does, or leaves it to
// encoding/json.
func FuzzScanRequest(f *testing.F) {
	requestSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		in, extra, ok := scanRequest(body)
		if !ok {
			return
		}
		want, wantExtra, err := decodeRequest(body)
		if err != nil {
			t.Fatalf("%q: scanned, but encoding/json fails: %v", body, err)
		}
		if len(extra) == 0 && len(wantExtra) == 0 {
			extra, wantExtra = nil, nil
		}
		if !reflect.DeepEqual(in, want) || !reflect.DeepEqual(extra, wantExtra) {
			t.Fatalf("%q:\nscan %+v %q\njson %+v %q", body, in, extra, want, wantExtra)
		}
		for i, m := range in.Messages {
			got, err1 := parseContent(i, m.Content)
			want, err2 := parseContentJSON(i, m.Content)
			if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: content %s: %+v, %v; encoding/json %+v, %v", body, m.Content, got, err1, want, err2)
			}
		}
	})
}

func TestScanRequestTakesTheHotPath(t *testing.T) {
	for _, s := range []string{
		`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}`,
	} {
		if _, _, ok := scanRequest([]byte(s)); !ok {
			t.Errorf("%s: not scanned", s)
		}
	}
}
