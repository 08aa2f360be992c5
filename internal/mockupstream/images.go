package mockupstream

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The image endpoints answer in OpenAI's shape (POST /v1/images/generations
// with a JSON body, POST /v1/images/edits with a multipart one): every image
// is the same small, real PNG, so clients can decode what they get. Models
// whose name contains "dall-e" answer without usage, like DALL·E; others
// report GPT-image usage (input_tokens with details, output_tokens). A prompt
// containing "mock:content_policy" is refused the way OpenAI refuses one
// (400 moderation_blocked); the failure-simulating model names work as on
// every endpoint.

// mockPNG is an 8×8 image, encoded once.
var mockPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			img.Set(x, y, color.RGBA{R: uint8(32 * x), G: uint8(32 * y), B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}()

var mockPNGBase64 = base64.StdEncoding.EncodeToString(mockPNG)

// imageOutputTokens is what one image "costs" in output tokens: GPT-image
// bills 272 (low), 1056 (medium) or 4160 (high) tokens for a square image.
func imageOutputTokens(quality string) int {
	switch quality {
	case "low":
		return 272
	case "high":
		return 4160
	}
	return 1056
}

type imageRequest struct {
	Model          string `json:"model"`
	Prompt         string `json:"prompt"`
	N              *int   `json:"n"`
	Size           string `json:"size"`
	Quality        string `json:"quality"`
	ResponseFormat string `json:"response_format"`
	OutputFormat   string `json:"output_format"`
	Background     string `json:"background"`
	Stream         bool   `json:"stream"`
	PartialImages  int    `json:"partial_images"`
	inputImages    int    // edits: how many images were uploaded
}

func (s *server) registerImages() {
	s.mux.HandleFunc("POST /v1/images/generations", s.imageGenerations)
	s.mux.HandleFunc("POST /v1/images/edits", s.imageEdits)
	s.mux.HandleFunc("GET /v1/mock-files/image.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(mockPNG)))
		_, _ = w.Write(mockPNG)
	})
}

func (s *server) imageGenerations(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req imageRequest
	if err := json.Unmarshal(body, &req); err != nil {
		badJSON(w, err)
		return
	}
	s.answerImages(w, r, &req)
}

func (s *server) imageEdits(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "",
			"Invalid Content-Type header ("+ct+"), expected multipart/form-data.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseMultipartForm(maxBody); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "Could not parse multipart form: "+err.Error())
		return
	}
	defer r.MultipartForm.RemoveAll()
	f := r.MultipartForm
	req := imageRequest{Model: first(f.Value["model"]), Prompt: first(f.Value["prompt"]), Size: first(f.Value["size"]),
		Quality: first(f.Value["quality"]), ResponseFormat: first(f.Value["response_format"]),
		OutputFormat: first(f.Value["output_format"]), Background: first(f.Value["background"]),
		Stream: first(f.Value["stream"]) == "true"}
	if v := first(f.Value["n"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "n", "n must be an integer.")
			return
		}
		req.N = &n
	}
	req.PartialImages, _ = strconv.Atoi(first(f.Value["partial_images"]))
	req.inputImages = len(f.File["image"]) + len(f.File["image[]"])
	if req.inputImages == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "image", "Missing required parameter: 'image'.")
		return
	}
	s.answerImages(w, r, &req)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *server) answerImages(w http.ResponseWriter, r *http.Request, req *imageRequest) {
	if req.Model == "" {
		req.Model = "mock-image"
	}
	if m := lookupModel(req.Model); m != nil && simulateFailure(w, r, m) {
		return
	}
	if req.Prompt == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "prompt", "Missing required parameter: 'prompt'.")
		return
	}
	if strings.Contains(req.Prompt, "mock:content_policy") {
		writeError(w, http.StatusBadRequest, "image_generation_user_error", "moderation_blocked", "",
			"Your request was rejected as a result of our safety system (simulated by the mock upstream).")
		return
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 10 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "integer_below_min_value", "n",
			fmt.Sprintf("Invalid 'n': %d. Expected a value between 1 and 10.", n))
		return
	}
	size, quality, format := orDefault(req.Size, "1024x1024"), orDefault(req.Quality, "medium"), orDefault(req.OutputFormat, "png")
	if quality == "auto" {
		quality = "medium"
	}
	dalle := strings.Contains(req.Model, "dall-e")
	inTok := max(1, estimateTokens(req.Prompt)) + 65*req.inputImages
	outTok := n * imageOutputTokens(quality)
	created := time.Now().Unix()
	if req.Stream && !dalle {
		s.streamImages(w, r, req, n, created, size, quality, format, inTok, outTok)
		return
	}
	b := []byte(`{"created":`)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"data":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if dalle && req.ResponseFormat == "url" {
			b = append(b, `{"url":`...)
			b = appendString(b, "http://"+r.Host+"/v1/mock-files/image.png")
		} else {
			b = append(b, `{"b64_json":`...)
			b = appendString(b, mockPNGBase64)
		}
		if dalle {
			b = append(b, `,"revised_prompt":`...)
			b = appendString(b, req.Prompt)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if !dalle {
		b = append(b, `,"background":"opaque","output_format":`...)
		b = appendString(b, format)
		b = append(b, `,"quality":`...)
		b = appendString(b, quality)
		b = append(b, `,"size":`...)
		b = appendString(b, size)
		b = appendImageUsage(b, inTok, outTok, req.inputImages)
	}
	writeJSON(w, http.StatusOK, append(b, "}\n"...))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func appendImageUsage(b []byte, in, out, images int) []byte {
	b = append(b, `,"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(in), 10)
	b = append(b, `,"input_tokens_details":{"image_tokens":`...)
	b = strconv.AppendInt(b, int64(65*images), 10)
	b = append(b, `,"text_tokens":`...)
	b = strconv.AppendInt(b, int64(in-65*images), 10)
	b = append(b, `},"output_tokens":`...)
	b = strconv.AppendInt(b, int64(out), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(in+out), 10)
	return append(b, '}')
}

// streamImages sends partial_images partial frames per image, then one
// image_generation.completed event per image; the last carries the usage
// of the whole call. OpenAI's image streams end there, with no [DONE].
func (s *server) streamImages(w http.ResponseWriter, r *http.Request, req *imageRequest, n int, created int64, size, quality, format string, inTok, outTok int) {
	prefix := "image_generation"
	if req.inputImages > 0 {
		prefix = "image_edit"
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(typ string, extra func([]byte) []byte) bool {
		b := []byte("event: " + typ + "\ndata: {\"type\":")
		b = appendString(b, typ)
		b = append(b, `,"b64_json":`...)
		b = appendString(b, mockPNGBase64)
		b = append(b, `,"created_at":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"size":`...)
		b = appendString(b, size)
		b = append(b, `,"quality":`...)
		b = appendString(b, quality)
		b = append(b, `,"background":"opaque","output_format":`...)
		b = appendString(b, format)
		b = extra(b)
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for i := 0; i < n; i++ {
		for p := 0; p < min(max(req.PartialImages, 0), 3); p++ {
			if s.opts.ChunkDelay > 0 && sleep(r.Context(), s.opts.ChunkDelay) != nil {
				return
			}
			if !send(prefix+".partial_image", func(b []byte) []byte {
				b = append(b, `,"partial_image_index":`...)
				return strconv.AppendInt(b, int64(p), 10)
			}) {
				return
			}
		}
		last := i == n-1
		if !send(prefix+".completed", func(b []byte) []byte {
			if last {
				b = appendImageUsage(b, inTok, outTok, req.inputImages)
			}
			return b
		}) {
			return
		}
	}
}
