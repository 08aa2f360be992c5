package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// imageConfig adds two image models to the default setup: one billed per
// image (with size/quality overrides), one by the tokens the upstream
// reports; mock-image-mapped is served under another upstream name.
const imageConfig = `
groups:
  - {name: default, models: ["*"]}
projects: [{name: demo}]
channels:
  - name: mock
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-gpt, mock-image, mock-gpt-image, mock-image-mapped]
    model_map: {mock-image-mapped: mock-image-upstream}
    groups: [default]
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
  - name: mock-image
    per_image: 0.04
    image_prices: {"1024x1536/high": 0.25, "high": 0.17, "low": 0.01}
  - {name: mock-image-mapped, per_image: 0.02}
  - {name: mock-gpt-image, input_per_mtok: 5, output_per_mtok: 40}
`

func imageGateway(t *testing.T) *testgw.Gateway {
	return testgw.Start(t, testgw.Options{Config: imageConfig})
}

func jsonHeader(key string) http.Header {
	h := testgw.Bearer(key)
	h.Set("Content-Type", "application/json")
	return h
}

func oneLog(t *testing.T, g *testgw.Gateway, keyID string) map[string]any {
	t.Helper()
	logs := g.Logs("key_id="+keyID, 1)
	if len(logs) != 1 {
		t.Fatalf("%d log rows, want 1", len(logs))
	}
	return logs[0]
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestImagesPerImagePrice(t *testing.T) {
	g := imageGateway(t)
	for name, c := range map[string]struct {
		body string
		want float64
	}{
		"size and quality":   {`{"model":"mock-image","prompt":"a red fox","n":2,"size":"1024x1536","quality":"high"}`, 0.50},
		"quality only":       {`{"model":"mock-image","prompt":"a red fox","quality":"high","size":"1024x1024"}`, 0.17},
		"base price":         {`{"model":"mock-image","prompt":"a red fox","n":3,"quality":"medium","size":"1024x1024"}`, 0.12},
		"model mapped":       {`{"model":"mock-image-mapped","prompt":"a red fox"}`, 0.02},
		"default n is one":   {`{"model":"mock-image","prompt":"a red fox","quality":"low","size":"1024x1024"}`, 0.01},
		"auto bills at most": {`{"model":"mock-image","prompt":"a red fox","quality":"auto"}`, 0.25},
	} {
		t.Run(name, func(t *testing.T) {
			k := g.CreateKey(nil)
			resp, b := g.Do("POST", "/v1/images/generations", jsonHeader(k.Key), c.body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var out struct {
				Data []struct {
					B64 string `json:"b64_json"`
				} `json:"data"`
			}
			if err := json.Unmarshal(b, &out); err != nil || len(out.Data) == 0 {
				t.Fatalf("answer %s: %v", b, err)
			}
			raw, err := base64.StdEncoding.DecodeString(out.Data[0].B64)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
				t.Fatalf("the image is not a PNG: %v", err)
			}
			l := oneLog(t, g, k.ID)
			if got := l["cost_usd"].(float64); !near(got, c.want) || l["charged"] != "yes" || l["request_type"] != "images" {
				t.Fatalf("cost %v charged %v type %v, want %v yes images", got, l["charged"], l["request_type"], c.want)
			}
		})
	}
}

func TestImagesBilledByTokens(t *testing.T) {
	g := imageGateway(t)
	k := g.CreateKey(nil)
	resp, b := g.Do("POST", "/v1/images/generations", jsonHeader(k.Key), `{"model":"mock-gpt-image","prompt":"a lighthouse at dusk","n":2,"quality":"high"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Usage struct {
			In  int `json:"input_tokens"`
			Out int `json:"output_tokens"`
		} `json:"usage"`
	}
	_ = json.Unmarshal(b, &out)
	if out.Usage.Out == 0 {
		t.Fatalf("no usage in %s", b)
	}
	l := oneLog(t, g, k.ID)
	want := (float64(out.Usage.In)*5 + float64(out.Usage.Out)*40) / 1e6
	if got := l["cost_usd"].(float64); !near(got, want) || int(l["output_tokens"].(float64)) != out.Usage.Out {
		t.Fatalf("cost %v output_tokens %v, want %v %d", got, l["output_tokens"], want, out.Usage.Out)
	}
}

func TestImagesStreamPartialImages(t *testing.T) {
	g := imageGateway(t)
	k := g.CreateKey(nil)
	resp, b := g.Do("POST", "/v1/images/generations", jsonHeader(k.Key),
		`{"model":"mock-gpt-image","prompt":"a lighthouse","stream":true,"partial_images":2,"quality":"low"}`)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if n := strings.Count(string(b), "event: image_generation.partial_image"); n != 2 {
		t.Fatalf("%d partial images, want 2", n)
	}
	if !strings.Contains(string(b), "event: image_generation.completed") || strings.Contains(string(b), `"error"`) {
		t.Fatalf("stream not complete or with an error: %.300s", b)
	}
	l := oneLog(t, g, k.ID)
	if l["charged"] != "yes" || l["output_tokens"].(float64) != 272 || l["failure_reason"] != "" {
		t.Fatalf("log %v", l)
	}
}

func TestImageEditsMultipart(t *testing.T) {
	g := imageGateway(t)
	k := g.CreateKey(nil)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("model", "mock-image-mapped")
	_ = mw.WriteField("prompt", "add a hat")
	_ = mw.WriteField("n", "2")
	for i := 0; i < 2; i++ {
		fw, _ := mw.CreateFormFile("image[]", "in.png")
		_, _ = fw.Write([]byte("\x89PNG fake"))
	}
	fw, _ := mw.CreateFormFile("mask", "mask.png")
	_, _ = fw.Write([]byte("\x89PNG mask"))
	_ = mw.Close()
	h := testgw.Bearer(k.Key)
	h.Set("Content-Type", mw.FormDataContentType())
	resp, b := g.Do("POST", "/v1/images/edits", h, body.String())
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Data []json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(b, &out)
	if len(out.Data) != 2 {
		t.Fatalf("%d images, want 2: %.200s", len(out.Data), b)
	}
	l := oneLog(t, g, k.ID)
	if got := l["cost_usd"].(float64); !near(got, 0.04) || l["model_served"] != "mock-image-upstream" {
		t.Fatalf("cost %v served %v", got, l["model_served"])
	}
}

func TestImagesRefused(t *testing.T) {
	g := imageGateway(t)
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.30, "period": "total"}})
	for name, c := range map[string]struct {
		path, ctype, body string
		status            int
		code              string
	}{
		"worst case over the budget": {"/v1/images/generations", "application/json", `{"model":"mock-image","prompt":"x","n":2,"size":"1024x1536","quality":"high"}`, 429, "insufficient_quota"},
		"too many images":            {"/v1/images/generations", "application/json", `{"model":"mock-image","prompt":"x","n":11}`, 400, "invalid_request"},
		"no prompt":                  {"/v1/images/generations", "application/json", `{"model":"mock-image"}`, 400, "invalid_request"},
		"edit not multipart":         {"/v1/images/edits", "application/json", `{"model":"mock-image","prompt":"x"}`, 400, "invalid_request"},
		"content policy passed on":   {"/v1/images/generations", "application/json", `{"model":"mock-image","prompt":"mock:content_policy"}`, 400, "moderation_blocked"},
	} {
		t.Run(name, func(t *testing.T) {
			h := testgw.Bearer(k.Key)
			h.Set("Content-Type", c.ctype)
			resp, b := g.Do("POST", c.path, h, c.body)
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal(b, &e)
			if resp.StatusCode != c.status || e.Error.Code != c.code {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.StatusCode, e.Error.Code, c.status, c.code, b)
			}
		})
	}
}

// TestImagesFromGemini converts an images request for a Gemini image-output
// model (responseModalities IMAGE) and its inlineData answer back to
// b64_json, billed by Gemini's token counts; n images are n calls; a
// blocked prompt is refused in words.
func TestImagesFromGemini(t *testing.T) {
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Goog-Api-Key") != testgw.UpstreamKey || r.URL.Path != "/v1beta/models/gemini-2.5-flash-image:generateContent" {
			http.Error(w, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`, http.StatusForbidden)
			return
		}
		var req struct {
			Contents []struct {
				Parts []map[string]any `json:"parts"`
			} `json:"contents"`
			GenerationConfig struct {
				ResponseModalities []string          `json:"responseModalities"`
				ImageConfig        map[string]string `json:"imageConfig"`
			} `json:"generationConfig"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		calls.Add(1)
		if len(req.GenerationConfig.ResponseModalities) != 1 || req.GenerationConfig.ResponseModalities[0] != "IMAGE" {
			t.Errorf("responseModalities %v", req.GenerationConfig.ResponseModalities)
		}
		file := "testdata/gemini_image_answer.json"
		if strings.Contains(fmt.Sprint(req.Contents), "forbidden") {
			file = "testdata/gemini_image_blocked.json"
		}
		if req.GenerationConfig.ImageConfig["aspectRatio"] != "3:2" {
			t.Errorf("aspect ratio %v", req.GenerationConfig.ImageConfig)
		}
		b, _ := os.ReadFile(file)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	defer up.Close()
	cfg := fmt.Sprintf(`
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: gem, type: gemini, base_url: "%s/v1beta", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [nano-banana], model_map: {nano-banana: gemini-2.5-flash-image}, groups: [default]}
models:
  - {name: nano-banana, input_per_mtok: 0.30, output_per_mtok: 30}
`, up.URL)
	g := testgw.Start(t, testgw.Options{Config: cfg})
	k := g.CreateKey(nil)
	resp, b := g.Do("POST", "/v1/images/generations", jsonHeader(k.Key), `{"model":"nano-banana","prompt":"a red fox","n":2,"size":"1536x1024"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Data []struct {
			B64 string `json:"b64_json"`
		} `json:"data"`
		Usage struct {
			In  int `json:"input_tokens"`
			Out int `json:"output_tokens"`
		} `json:"usage"`
	}
	_ = json.Unmarshal(b, &out)
	if len(out.Data) != 2 || calls.Load() != 2 || out.Usage.In != 18 || out.Usage.Out != 2580 {
		t.Fatalf("%d images in %d calls, usage %+v", len(out.Data), calls.Load(), out.Usage)
	}
	raw, _ := base64.StdEncoding.DecodeString(out.Data[0].B64)
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	l := oneLog(t, g, k.ID)
	want := (18*0.30 + 2580*30) / 1e6
	if got := l["cost_usd"].(float64); !near(got, want) || l["channel"] != "gem" || l["model_served"] != "gemini-2.5-flash-image" {
		t.Fatalf("log %v, want cost %v", l, want)
	}
	resp, b = g.Do("POST", "/v1/images/generations", jsonHeader(k.Key), `{"model":"nano-banana","prompt":"something forbidden","size":"1536x1024"}`)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "PROHIBITED_CONTENT") {
		t.Fatalf("blocked: %d %s", resp.StatusCode, b)
	}
	resp, b = g.Do("POST", "/v1/images/generations", jsonHeader(k.Key), `{"model":"nano-banana","prompt":"x","stream":true}`)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
}

// TestRequestTypeScope: a key scoped by request type is refused on every
// other route, native ones included, naming the type; listing models works.
func TestRequestTypeScope(t *testing.T) {
	g := imageGateway(t)
	chat := g.CreateKey(map[string]any{"request_types": []string{"chat"}})
	images := g.CreateKey(map[string]any{"request_types": []string{"images"}})
	for name, c := range map[string]struct {
		key, path, body string
		status          int
		want            string
	}{
		"chat key makes an image":   {chat.Key, "/v1/images/generations", `{"model":"mock-image","prompt":"x"}`, 403, "images"},
		"image key chats":           {images.Key, "/v1/chat/completions", `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`, 403, "chat"},
		"image key on /v1/messages": {images.Key, "/v1/messages", `{"model":"mock-gpt","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 403, "chat"},
		"image key makes an image":  {images.Key, "/v1/images/generations", `{"model":"mock-image","prompt":"x"}`, 200, ""},
		"chat key chats":            {chat.Key, "/v1/chat/completions", `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`, 200, ""},
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := g.Do("POST", c.path, jsonHeader(c.key), c.body)
			if resp.StatusCode != c.status || c.status == 403 && (!strings.Contains(string(b), "model_not_allowed") || !strings.Contains(string(b), "make "+c.want+" requests")) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
	if resp, b := g.Do("GET", "/v1/models", testgw.Bearer(images.Key), ""); resp.StatusCode != 200 {
		t.Fatalf("models: %d %s", resp.StatusCode, b)
	}
	resp, b := g.Do("POST", "/admin/v1/keys", http.Header{"Authorization": {"Bearer " + testgw.AdminToken}}, `{"project":"demo","request_types":["audio"]}`)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "request_types") {
		t.Fatalf("unknown type: %d %s", resp.StatusCode, b)
	}
}
