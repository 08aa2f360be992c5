package mockupstream

import (
	"encoding/binary"
	"encoding/json"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The video endpoints follow OpenAI's /v1/videos: POST creates a job (JSON
// or multipart), GET polls it, GET …/content?variant=video|thumbnail|
// spritesheet downloads it, DELETE removes it, GET /v1/videos lists them.
// The prompt steers the job:
//
//	mock:render=N             takes N seconds of wall time to finish (default 4)
//	mock:polls=N              finishes at the Nth poll instead (queued until the first, then in_progress)
//	mock:seconds=N            the finished video is N seconds long (default: as asked)
//	mock:fail                 the job fails (generation_failed) once rendered
//	mock:hang                 the job stays in_progress forever
//	mock:content_policy       refused at submit: 400 moderation_blocked
//	mock:insufficient_balance refused at submit: 429 insufficient_quota
//
// and the failure-simulating model names answer at submit as everywhere.

type mockVideo struct {
	ID        string
	Model     string
	Prompt    string
	Seconds   int
	Size      string
	Created   time.Time
	Render    time.Duration
	RealSecs  int
	Fail      bool
	Hang      bool
	Deleted   bool
	Reference bool
	PollsLeft int // mock:polls: finish after this many more GETs (0: by time)
	Polled    int
}

type videoStore struct {
	s  *server
	mu sync.Mutex
	m  map[string]*mockVideo
}

var mockDirective = regexp.MustCompile(`mock:([a-z_]+)(?:=(\d+))?`)

func (s *server) registerVideos() {
	vs := &videoStore{s: s, m: map[string]*mockVideo{}}
	s.mux.HandleFunc("POST /v1/videos", vs.create)
	s.mux.HandleFunc("GET /v1/videos", vs.list)
	s.mux.HandleFunc("GET /v1/videos/{id}", vs.get)
	s.mux.HandleFunc("DELETE /v1/videos/{id}", vs.remove)
	s.mux.HandleFunc("GET /v1/videos/{id}/content", vs.content)
}

func (vs *videoStore) create(w http.ResponseWriter, r *http.Request) {
	v := &mockVideo{Created: time.Now(), Render: 4 * time.Second, Seconds: 4, Size: "720x1280"}
	var secs string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseMultipartForm(maxBody); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "Could not parse multipart form: "+err.Error())
			return
		}
		defer r.MultipartForm.RemoveAll()
		f := r.MultipartForm
		v.Model, v.Prompt, secs = first(f.Value["model"]), first(f.Value["prompt"]), first(f.Value["seconds"])
		if sz := first(f.Value["size"]); sz != "" {
			v.Size = sz
		}
		v.Reference = len(f.File["input_reference"]) > 0
	} else {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var req struct {
			Model   string          `json:"model"`
			Prompt  string          `json:"prompt"`
			Seconds json.RawMessage `json:"seconds"`
			Size    string          `json:"size"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			badJSON(w, err)
			return
		}
		v.Model, v.Prompt = req.Model, req.Prompt
		secs = strings.Trim(string(req.Seconds), `"`)
		if req.Size != "" {
			v.Size = req.Size
		}
	}
	if v.Model == "" {
		v.Model = "mock-video"
	}
	if m := lookupModel(v.Model); m != nil && simulateFailure(w, r, m) {
		return
	}
	if v.Prompt == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "prompt", "Missing required parameter: 'prompt'.")
		return
	}
	if secs != "" {
		n, err := strconv.Atoi(secs)
		if err != nil || n <= 0 || n > 60 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "seconds", "Invalid 'seconds': "+secs+".")
			return
		}
		v.Seconds = n
	}
	v.RealSecs = v.Seconds
	for _, d := range mockDirective.FindAllStringSubmatch(v.Prompt, -1) {
		n, _ := strconv.Atoi(d[2])
		switch d[1] {
		case "render":
			v.Render = time.Duration(n) * time.Second
		case "polls":
			v.PollsLeft = max(n, 1)
		case "seconds":
			v.RealSecs = n
		case "fail":
			v.Fail = true
		case "hang":
			v.Hang = true
		case "content_policy":
			writeError(w, http.StatusBadRequest, "invalid_request_error", "moderation_blocked", "",
				"Your request was blocked by our moderation system (simulated by the mock upstream).")
			return
		case "insufficient_balance":
			writeError(w, http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota", "",
				"You exceeded your current quota, please check your plan and billing details (simulated by the mock upstream).")
			return
		}
	}
	v.ID = "video_mock" + vs.s.nextID()
	vs.mu.Lock()
	vs.m[v.ID] = v
	vs.mu.Unlock()
	writeJSON(w, http.StatusOK, vs.object(v, time.Now()))
}

// state is the job's status and progress at now.
func (v *mockVideo) state(now time.Time) (string, int) {
	el := now.Sub(v.Created)
	switch {
	case v.Hang:
		return "in_progress", 50
	case v.PollsLeft > 0:
		switch {
		case v.Polled == 0:
			return "queued", 0
		case v.Polled < v.PollsLeft:
			return "in_progress", 100 * v.Polled / v.PollsLeft
		case v.Fail:
			return "failed", 100
		}
		return "completed", 100
	case el < v.Render/4:
		return "queued", 0
	case el < v.Render:
		return "in_progress", int(100 * el / v.Render)
	case v.Fail:
		return "failed", 100
	}
	return "completed", 100
}

func (vs *videoStore) object(v *mockVideo, now time.Time) []byte {
	st, progress := v.state(now)
	out := map[string]any{"id": v.ID, "object": "video", "model": v.Model, "status": st, "progress": progress,
		"created_at": v.Created.Unix(), "completed_at": nil, "expires_at": nil, "prompt": v.Prompt,
		"seconds": strconv.Itoa(v.Seconds), "size": v.Size, "remixed_from_video_id": nil, "error": nil}
	switch st {
	case "completed":
		out["seconds"] = strconv.Itoa(v.RealSecs)
		done := v.Created.Add(v.Render)
		if v.PollsLeft > 0 {
			done = now
		}
		out["completed_at"], out["expires_at"] = done.Unix(), done.Add(time.Hour).Unix()
	case "failed":
		out["error"] = map[string]string{"code": "generation_failed", "message": "The video could not be generated (simulated by the mock upstream)."}
	}
	b, _ := json.Marshal(out)
	return append(b, '\n')
}

func (vs *videoStore) find(w http.ResponseWriter, r *http.Request) *mockVideo {
	vs.mu.Lock()
	v := vs.m[r.PathValue("id")]
	gone := v == nil || v.Deleted
	vs.mu.Unlock()
	if gone {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "video_id", "Video with id '"+r.PathValue("id")+"' not found.")
		return nil
	}
	return v
}

func (vs *videoStore) get(w http.ResponseWriter, r *http.Request) {
	if v := vs.find(w, r); v != nil {
		vs.mu.Lock()
		v.Polled++
		b := vs.object(v, time.Now())
		vs.mu.Unlock()
		writeJSON(w, http.StatusOK, b)
	}
}

func (vs *videoStore) list(w http.ResponseWriter, r *http.Request) {
	vs.mu.Lock()
	var data []json.RawMessage
	now := time.Now()
	for _, v := range vs.m {
		if !v.Deleted {
			data = append(data, vs.object(v, now))
		}
	}
	vs.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data, "has_more": false})
	writeJSON(w, http.StatusOK, b)
}

func (vs *videoStore) remove(w http.ResponseWriter, r *http.Request) {
	v := vs.find(w, r)
	if v == nil {
		return
	}
	vs.mu.Lock()
	v.Deleted = true
	vs.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"id": v.ID, "object": "video.deleted", "deleted": true})
	writeJSON(w, http.StatusOK, b)
}

func (vs *videoStore) content(w http.ResponseWriter, r *http.Request) {
	v := vs.find(w, r)
	if v == nil {
		return
	}
	vs.mu.Lock()
	st, _ := v.state(time.Now())
	vs.mu.Unlock()
	if st != "completed" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "video_not_ready", "", "Video is not ready yet, status: "+st+".")
		return
	}
	switch variant := r.URL.Query().Get("variant"); variant {
	case "", "video":
		b := mockMP4(v.RealSecs)
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	case "thumbnail", "spritesheet":
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(mockPNG)))
		_, _ = w.Write(mockPNG)
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "variant", "Invalid variant '"+variant+"'.")
	}
}

// mockMP4 is an ISO base media file with an ftyp box and a free box whose
// payload names the duration: enough for file(1) and players to call it
// MP4, and small.
func mockMP4(seconds int) []byte {
	box := func(typ string, payload []byte) []byte {
		b := make([]byte, 8, 8+len(payload))
		binary.BigEndian.PutUint32(b, uint32(8+len(payload)))
		copy(b[4:], typ)
		return append(b, payload...)
	}
	out := box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))
	return append(out, box("free", []byte("keygate mock video, "+strconv.Itoa(seconds)+" s"))...)
}
