// Package doctor checks a client's setup against an OpenAI-compatible API —
// keygate or any other server — the way a careful colleague would: does the
// base URL answer and speak the API, is the key well-formed (checked here,
// before it is sent anywhere), does the key list models, does the model
// exist, does a 1-token chat completion work. Each check says what it saw
// and what to do, and the report ends with evidence that can be pasted into
// a support ticket: the key's display form, never the key.
//
// The checks use keygate's error fields (code, hint, request_id) when the
// server sends them and fall back to OpenAI's error shape and plain HTTP
// otherwise.
package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/keys"
)

// Options configures a run.
type Options struct {
	BaseURL string // e.g. http://127.0.0.1:8080/v1
	Key     string // sent only when it passes the local format check
	Model   string // optional: the first listed model is used when empty
	Client  *http.Client
	Timeout time.Duration    // per HTTP request; default 30 s
	Now     func() time.Time // default time.Now
}

// Status is the result of one check.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Warn Status = "WARN" // passed, with something worth knowing
	Skip Status = "SKIP" // not run because an earlier check failed
)

// Check is one line of the checklist.
type Check struct {
	Name   string
	Status Status
	Detail string // what was seen
	Fix    string // what to do, when it did not pass
}

// Evidence is what a support ticket needs, and nothing secret.
type Evidence struct {
	Key       string // display form, e.g. kg_live_7HqK…p2Xe
	BaseURL   string
	Server    string // "keygate", "OpenAI-compatible" or "unknown"
	Model     string
	Time      time.Time // UTC, of the last request sent
	Status    int       // of the last request sent; 0 if none
	ErrorCode string
	RequestID string
	LatencyMS int64
}

// Report is the outcome of Run.
type Report struct {
	Checks   []Check
	Evidence Evidence
	// SuggestedBaseURL is set when the base URL is wrong and a working one
	// was found.
	SuggestedBaseURL string
}

// OK reports whether every check passed (warnings count as passed).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail || c.Status == Skip {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Check names, in the order they run.
const (
	CheckBaseURL = "base URL answers and speaks the OpenAI API"
	CheckKey     = "key format (checked locally, before sending)"
	CheckModels  = "GET /models with the key"
	CheckModel   = "model exists and is allowed"
	CheckChat    = "1-token chat completion"
)

// runner carries the state of one run.
type runner struct {
	o       Options
	rep     *Report
	base    string // normalised base URL, no trailing slash
	u       *url.URL
	keygate bool
	models  []string
}

// Run performs the checks in order. It never returns the key in any field.
func Run(ctx context.Context, o Options) *Report {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rn := &runner{o: o, rep: &Report{}}
	rn.rep.Evidence = Evidence{Key: displayKey(o.Key), BaseURL: o.BaseURL, Model: o.Model, Server: "unknown"}
	steps := []struct {
		name string
		run  func(context.Context) Check
	}{
		{CheckBaseURL, rn.checkBaseURL},
		{CheckKey, rn.checkKey},
		{CheckModels, rn.checkModels},
		{CheckModel, rn.checkModel},
		{CheckChat, rn.checkChat},
	}
	failed := ""
	for _, st := range steps {
		if failed != "" {
			rn.rep.Checks = append(rn.rep.Checks, Check{Name: st.name, Status: Skip, Detail: "not run: fix \"" + failed + "\" first"})
			continue
		}
		c := st.run(ctx)
		c.Name = st.name
		c.Detail, c.Fix = rn.scrub(c.Detail), rn.scrub(c.Fix)
		rn.rep.Checks = append(rn.rep.Checks, c)
		if c.Status == Fail {
			failed = st.name
		}
	}
	rn.rep.Evidence.BaseURL = rn.scrub(rn.rep.Evidence.BaseURL)
	if rn.rep.Evidence.Time.IsZero() {
		rn.rep.Evidence.Time = o.Now().UTC()
	}
	return rn.rep
}

// displayKey is the only form of the key that leaves this package.
func displayKey(k string) string {
	d := keys.DisplayPresented(strings.TrimFunc(k, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) || r == '"' || r == '\'' }))
	if d == "" {
		if k == "" {
			return "(none)"
		}
		return "(too short to show)"
	}
	return d
}

// scrub replaces the key, should a server ever echo it, by its display form.
func (rn *runner) scrub(s string) string {
	k := rn.o.Key
	if t := strings.TrimSpace(k); len(t) >= 8 {
		s = strings.ReplaceAll(s, t, displayKey(k))
	}
	return s
}

// answer is what one HTTP exchange produced.
type answer struct {
	status    int
	header    http.Header
	body      []byte
	requestID string
	latency   time.Duration
	errBody   *errorBody // the OpenAI-shaped error, when there is one
	err       error      // transport error
}

// errorBody is OpenAI's error shape plus keygate's fields.
type errorBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      any    `json:"code"` // OpenAI sends strings, some servers numbers
	Hint      string `json:"hint"`
	Docs      string `json:"docs"`
	RequestID string `json:"request_id"`
}

func (e *errorBody) code() string {
	switch c := e.Code.(type) {
	case string:
		return c
	case float64:
		return fmt.Sprint(c)
	}
	return ""
}

// send performs one request; withKey adds the Authorization header.
func (rn *runner) send(ctx context.Context, method, u string, body any, withKey bool) answer {
	ctx, cancel := context.WithTimeout(ctx, rn.o.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "keygate-doctor")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+rn.o.Key)
	}
	start := time.Now()
	sent := rn.o.Now().UTC()
	resp, err := rn.o.Client.Do(req)
	if err != nil {
		return answer{err: err, latency: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	a := answer{status: resp.StatusCode, header: resp.Header, body: b, latency: time.Since(start)}
	a.requestID = resp.Header.Get("X-Request-Id")
	var env struct {
		Error *errorBody `json:"error"`
	}
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		a.errBody = env.Error
		if a.requestID == "" {
			a.requestID = env.Error.RequestID
		}
		if env.Error.Docs != "" || env.Error.Hint != "" {
			rn.keygate = true
		}
	}
	if withKey {
		ev := &rn.rep.Evidence
		ev.Time, ev.Status, ev.RequestID, ev.LatencyMS = sent, a.status, a.requestID, a.latency.Milliseconds()
		ev.ErrorCode = ""
		if a.errBody != nil {
			ev.ErrorCode = a.errBody.code()
		}
	}
	return a
}

// explain turns a failed answer into a detail and a fix.
func (rn *runner) explain(a answer, what string) (string, string) {
	if a.err != nil {
		return fmt.Sprintf("%s: %v", what, trimErr(a.err)), "Check that the server runs and that the base URL's host and port are right."
	}
	detail := fmt.Sprintf("%s answered %d", what, a.status)
	fix := ""
	if e := a.errBody; e != nil {
		if c := e.code(); c != "" {
			detail += " " + c
		}
		if e.Message != "" {
			detail += ": " + oneLine(e.Message)
		}
		fix = e.Hint
		if e.Docs != "" {
			if fix != "" {
				fix += " "
			}
			fix += "Docs: " + rn.docsURL(e.Docs)
		}
	} else if len(a.body) > 0 {
		detail += ": " + oneLine(snippet(a.body))
	}
	if a.requestID != "" {
		detail += " (request id " + a.requestID + ")"
	}
	return detail, fix
}

func (rn *runner) docsURL(p string) string {
	if strings.HasPrefix(p, "/") {
		if u, err := url.Parse(rn.base); err == nil {
			return u.Scheme + "://" + u.Host + p
		}
	}
	return p
}

// checkBaseURL asks GET /models without a key: a server that speaks the
// API answers a list (no auth required) or a 401/403 in OpenAI's shape.
// When it does not, nearby base URLs are tried to say which one is right.
func (rn *runner) checkBaseURL(ctx context.Context) Check {
	raw := strings.TrimSpace(rn.o.BaseURL)
	if raw == "" {
		return Check{Status: Fail, Detail: "no base URL given", Fix: "Pass --base-url, e.g. --base-url http://127.0.0.1:8080/v1."}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Check{Status: Fail, Detail: fmt.Sprintf("%q is not an http(s) URL", raw),
			Fix: "Give the full base URL with scheme and host, e.g. http://127.0.0.1:8080/v1."}
	}
	if u.User != nil {
		return Check{Status: Fail, Detail: "the base URL carries a user name or password",
			Fix: "Remove credentials from the URL; the key goes in the Authorization header (--key)."}
	}
	if u.RawQuery != "" {
		return Check{Status: Fail, Detail: "the base URL has a query string (" + redactQuery(u) + ")",
			Fix: "Remove the query string; never put a key in a URL — it ends up in logs."}
	}
	rn.base, rn.u = strings.TrimRight(u.String(), "/"), u
	rn.rep.Evidence.BaseURL = rn.base
	a := rn.send(ctx, http.MethodGet, rn.base+"/models", nil, false)
	if a.err != nil {
		d, f := rn.explain(a, "GET "+rn.base+"/models")
		return Check{Status: Fail, Detail: d, Fix: f}
	}
	rn.detectServer(ctx, a)
	if speaksAPI(a) {
		detail := fmt.Sprintf("%s server at %s (GET /models without a key → %d)", rn.serverName(), rn.base, a.status)
		if strings.HasSuffix(u.Path, "/v1/v1") {
			return Check{Status: Fail, Detail: detail + ", but the base URL has /v1 twice", Fix: "Use " + strings.TrimSuffix(rn.base, "/v1") + "."}
		}
		return Check{Status: Pass, Detail: detail}
	}
	// Not here: find out where.
	why := fmt.Sprintf("GET %s/models answered %d", rn.base, a.status)
	if a.errBody != nil && a.errBody.Message != "" {
		why += ": " + oneLine(a.errBody.Message)
	} else if !isJSON(a.header) {
		why += " with " + contentType(a.header) + ", not JSON"
	}
	for _, alt := range alternatives(u) {
		b := rn.send(ctx, http.MethodGet, alt+"/models", nil, false)
		if b.err == nil && speaksAPI(b) {
			rn.detectServer(ctx, b)
			rn.rep.SuggestedBaseURL = alt
			what := "the base URL lacks /v1"
			switch {
			case strings.HasSuffix(rn.base, "/v1/v1"):
				what = "the base URL has /v1 twice"
			case len(alt) < len(rn.base):
				what = "the base URL has an extra path segment"
			}
			return Check{Status: Fail, Detail: fmt.Sprintf("%s: %s, while %s/models speaks the API", what, why, alt),
				Fix: fmt.Sprintf("Use --base-url %s (in SDKs: base_url / baseURL / OPENAI_BASE_URL).", alt)}
		}
	}
	fix := "Check the base URL: for keygate it is http://HOST:PORT/v1; for other servers see their docs for the OpenAI-compatible base URL."
	if a.errBody != nil && a.errBody.Hint != "" {
		fix = a.errBody.Hint
	}
	return Check{Status: Fail, Detail: why + "; this does not look like an OpenAI-compatible API", Fix: fix}
}

// detectServer decides whether the server is keygate: its errors carry
// docs and hint fields; its root answers {"name":"keygate"}.
func (rn *runner) detectServer(ctx context.Context, a answer) {
	if rn.keygate {
		rn.rep.Evidence.Server = "keygate"
		return
	}
	u, err := url.Parse(rn.base)
	if err == nil {
		root := u.Scheme + "://" + u.Host + "/"
		if b := rn.send(ctx, http.MethodGet, root, nil, false); b.err == nil && b.status == 200 {
			var idx struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(b.body, &idx) == nil && idx.Name == "keygate" {
				rn.keygate = true
			}
		}
	}
	switch {
	case rn.keygate:
		rn.rep.Evidence.Server = "keygate"
	case speaksAPI(a):
		rn.rep.Evidence.Server = "OpenAI-compatible"
	}
}

func (rn *runner) serverName() string {
	if rn.keygate {
		return "keygate"
	}
	return "OpenAI-compatible (not keygate)"
}

// speaksAPI: a model list, or an auth refusal in OpenAI's error shape.
func speaksAPI(a answer) bool {
	if a.err != nil {
		return false
	}
	switch {
	case a.status == 200:
		var l struct {
			Data []json.RawMessage `json:"data"`
		}
		return json.Unmarshal(a.body, &l) == nil && l.Data != nil
	case a.status == 401 || a.status == 403:
		return a.errBody != nil
	}
	return false
}

// alternatives are nearby base URLs to try when the given one is wrong.
func alternatives(u *url.URL) []string {
	root := u.Scheme + "://" + u.Host
	p := strings.TrimRight(u.Path, "/")
	var out []string
	add := func(path string) {
		c := root + path
		for _, o := range out {
			if o == c {
				return
			}
		}
		if c != root+p {
			out = append(out, c)
		}
	}
	switch {
	case strings.HasSuffix(p, "/v1/v1"):
		add(strings.TrimSuffix(p, "/v1"))
	case strings.HasSuffix(p, "/v1"):
		add(strings.TrimSuffix(p, "/v1") + "/v1")
	default:
		add(p + "/v1")
	}
	add("/v1")
	return out
}

// checkKey decides from the string alone whether the key can work. Against
// keygate the full diagnosis applies (checksum, another provider's key…);
// against other servers only what breaks any key (whitespace, quotes, an
// unset variable), since their keys have other shapes.
func (rn *runner) checkKey(context.Context) Check {
	k := rn.o.Key
	if k == "" {
		return Check{Status: Fail, Detail: "no key given",
			Fix: "Pass --key, or set KEYGATE_KEY or OPENAI_API_KEY (check that the variable is exported in this shell)."}
	}
	if r, _ := utf8.DecodeRuneInString(k); unicode.IsSpace(r) || isInvisible(r) {
		// Said plainly here: the diagnosis of a header would blame the
		// space after "Bearer".
		return Check{Status: Fail, Detail: "the key starts with " + keys.DescribeRune(r) + ", which is not part of it",
			Fix: "Remove it where your program reads the key (.env file, secret store, CI variable), then run doctor again."}
	}
	if rn.keygate || strings.HasPrefix(strings.TrimSpace(k), "kg_") {
		_, p := credential.Extract(http.Header{"Authorization": {"Bearer " + k}}, nil, credential.OpenAI)
		if p != nil {
			return Check{Status: Fail, Detail: p.Code + ": " + p.Message, Fix: capitalize(p.Hint) + "."}
		}
		env := "live"
		if strings.HasPrefix(k, keys.PrefixTest) {
			env = "test"
		}
		d := fmt.Sprintf("%s is a well-formed keygate %s key (prefix, length and checksum correct)", displayKey(k), env)
		if !rn.keygate {
			return Check{Status: Warn, Detail: d + ", but the server does not look like keygate"}
		}
		return Check{Status: Pass, Detail: d}
	}
	if p := genericProblem(k); p != "" {
		return Check{Status: Fail, Detail: p, Fix: "Fix the value where your program reads it (.env file, secret store, CI variable), then run doctor again."}
	}
	d := displayKey(k) + " has no whitespace, quotes or invisible characters"
	if prov, _ := keys.OtherProvider(k); prov != "" {
		d += " (shaped like a " + prov + " key)"
	}
	return Check{Status: Pass, Detail: d}
}

// genericProblem finds what breaks a key of any provider.
func genericProblem(k string) string {
	if !utf8.ValidString(k) {
		return "the key is not valid UTF-8: it was probably copied from a binary file or a wrong encoding"
	}
	first, _ := utf8.DecodeRuneInString(k)
	last, _ := utf8.DecodeLastRuneInString(k)
	switch {
	case unicode.IsSpace(first) || isInvisible(first):
		return fmt.Sprintf("the key starts with %s", keys.DescribeRune(first))
	case unicode.IsSpace(last) || isInvisible(last):
		return fmt.Sprintf("the key ends with %s", keys.DescribeRune(last))
	case strings.ContainsRune("\"'`", first) || strings.ContainsRune("\"'`", last):
		return "the key is wrapped in quotes, which are not part of it"
	}
	for i, r := range k {
		if unicode.IsSpace(r) || isInvisible(r) || unicode.IsControl(r) {
			return fmt.Sprintf("the key contains %s at character %d", keys.DescribeRune(r), utf8.RuneCountInString(k[:i])+1)
		}
	}
	switch l := strings.ToLower(k); {
	case l == "undefined" || l == "null" || l == "none" || l == "nil" || l == "your_api_key" || l == "changeme":
		return fmt.Sprintf("the key is the literal %q: your environment variable is not set", k)
	case strings.HasPrefix(k, "$") || strings.HasPrefix(k, "<") && strings.HasSuffix(k, ">"):
		return "the key is a placeholder, not a value: your environment variable is not set or not expanded"
	case strings.HasPrefix(l, "bearer"):
		return "the key starts with \"Bearer\": pass the key alone, the client adds the Bearer scheme"
	}
	return ""
}

func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00a0', '\u00ad':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// checkModels lists the models the key may use.
func (rn *runner) checkModels(ctx context.Context) Check {
	a := rn.send(ctx, http.MethodGet, rn.base+"/models", nil, true)
	if a.err == nil && a.status == 404 {
		// Servers that check the key before the path looked fine without
		// one; with the key the wrong base URL shows.
		for _, alt := range alternatives(rn.u) {
			if b := rn.send(ctx, http.MethodGet, alt+"/models", nil, true); b.err == nil && b.status == 200 && speaksAPI(b) {
				rn.rep.SuggestedBaseURL = alt
				what := "the base URL lacks /v1"
				if len(alt) < len(rn.base) {
					what = "the base URL has an extra path segment"
				}
				return Check{Status: Fail, Detail: fmt.Sprintf("%s: GET %s/models answered 404 with the key, while %s/models lists models", what, rn.base, alt),
					Fix: fmt.Sprintf("Use --base-url %s (in SDKs: base_url / baseURL / OPENAI_BASE_URL).", alt)}
			}
		}
	}
	if a.err != nil || a.status != 200 {
		d, f := rn.explain(a, "GET /models")
		if f == "" && (a.status == 401 || a.status == 403) {
			f = "The server refused the key: check that it was issued by this server and is still active."
		}
		return Check{Status: Fail, Detail: d, Fix: f}
	}
	var l struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &l); err != nil {
		return Check{Status: Fail, Detail: "GET /models answered 200 but not a JSON model list: " + oneLine(snippet(a.body)),
			Fix: "The base URL may point at a web page or another API; use the server's OpenAI-compatible base URL."}
	}
	for _, m := range l.Data {
		rn.models = append(rn.models, m.ID)
	}
	sort.Strings(rn.models)
	if len(rn.models) == 0 {
		return Check{Status: Fail, Detail: "the key is accepted but may use no model (GET /models is empty)",
			Fix: "Ask the gateway operator to give the key's group access to a model."}
	}
	return Check{Status: Pass, Detail: fmt.Sprintf("key accepted; %d model(s): %s", len(rn.models), listSome(rn.models, 8))}
}

// checkModel checks the model against the list, and asks the server about
// it when it is not listed (some servers list less than they serve).
func (rn *runner) checkModel(ctx context.Context) Check {
	m := rn.o.Model
	if m == "" {
		m = pickChatModel(rn.models)
		rn.o.Model = m
		rn.rep.Evidence.Model = m
		return Check{Status: Warn, Detail: fmt.Sprintf("no --model given; using %q, the first listed model that looks like a chat model", m),
			Fix: "Pass --model with the model your program uses."}
	}
	for _, n := range rn.models {
		if n == m {
			return Check{Status: Pass, Detail: fmt.Sprintf("%q is listed for this key", m)}
		}
	}
	a := rn.send(ctx, http.MethodGet, rn.base+"/models/"+url.PathEscape(m), nil, true)
	if a.err == nil && a.status == 200 {
		return Check{Status: Pass, Detail: fmt.Sprintf("%q is not listed, but GET /models/%s answers 200 (an alias or unlisted model)", m, m)}
	}
	d, f := rn.explain(a, "GET /models/"+m)
	if a.errBody == nil || !strings.Contains(strings.ToLower(a.errBody.Message), "did you mean") {
		if s := closest(m, rn.models); s != "" {
			d += fmt.Sprintf("; did you mean %q?", s)
		}
	}
	if f == "" {
		f = "Use one of the models GET /models lists: " + listSome(rn.models, 8) + "."
	}
	return Check{Status: Fail, Detail: d, Fix: f}
}

// pickChatModel guesses a chat model from a list, by name.
func pickChatModel(models []string) string {
	for _, fam := range []string{"gpt", "chat", "claude", "gemini", "llama", "qwen", "mistral", "deepseek"} {
		for _, m := range models {
			if strings.Contains(strings.ToLower(m), fam) && !notChat(m) {
				return m
			}
		}
	}
	for _, m := range models {
		if !notChat(m) {
			return m
		}
	}
	return models[0]
}

func notChat(m string) bool {
	l := strings.ToLower(m)
	for _, w := range []string{"embed", "whisper", "tts", "dall-e", "image", "moderation", "rerank", "audio", "transcribe", "error", "slow"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// checkChat sends the smallest possible chat completion.
func (rn *runner) checkChat(ctx context.Context) Check {
	body := map[string]any{
		"model":      rn.o.Model,
		"messages":   []map[string]string{{"role": "user", "content": "Say OK."}},
		"max_tokens": 1,
	}
	a := rn.send(ctx, http.MethodPost, rn.base+"/chat/completions", body, true)
	if a.err != nil || a.status != 200 {
		d, f := rn.explain(a, "POST /chat/completions")
		if f == "" {
			switch {
			case a.status >= 400 && a.status < 500:
				f = "The server refused the request itself: check that the model is a chat model your key may use."
			default:
				f = "Retry; if it keeps failing, send the evidence below to the server's operator."
			}
		}
		return Check{Status: Fail, Detail: d, Fix: f}
	}
	var c struct {
		Model   string `json:"model"`
		Choices []json.RawMessage
	}
	if json.Unmarshal(a.body, &c) != nil || len(c.Choices) == 0 {
		return Check{Status: Fail, Detail: "POST /chat/completions answered 200 without choices: " + oneLine(snippet(a.body)),
			Fix: "The server does not answer in OpenAI's chat format; check that the model is a chat model."}
	}
	d := fmt.Sprintf("200 in %d ms", a.latency.Milliseconds())
	if c.Model != "" {
		d += ", served by " + c.Model
	}
	if a.requestID != "" {
		d += ", request id " + a.requestID
	}
	return Check{Status: Pass, Detail: d}
}

// closest is a local did-you-mean for servers that offer none.
func closest(name string, names []string) string {
	best, bestD := "", 1<<30
	ln := strings.ToLower(name)
	for _, n := range names {
		d := distance(ln, strings.ToLower(n))
		if d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= max(2, len(name)/3) {
		return best
	}
	return ""
}

func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func listSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func isJSON(h http.Header) bool { return strings.Contains(h.Get("Content-Type"), "json") }

func contentType(h http.Header) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return strings.TrimSpace(strings.Split(ct, ";")[0])
	}
	return "no content type"
}

// redactQuery shows only the parameter names of a URL's query.
func redactQuery(u *url.URL) string {
	var names []string
	for k := range u.Query() {
		names = append(names, k+"=…")
	}
	sort.Strings(names)
	return "?" + strings.Join(names, "&")
}

// trimErr shortens transport errors to their cause.
func trimErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	return err.Error()
}

// Write prints the checklist and the evidence block.
func (r *Report) Write(w io.Writer) {
	for i, c := range r.Checks {
		fmt.Fprintf(w, "[%s] %d. %s", c.Status, i+1, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(w, " — %s", c.Detail)
		}
		fmt.Fprintln(w)
		if c.Fix != "" && (c.Status == Fail || c.Status == Warn) {
			fmt.Fprintf(w, "       fix: %s\n", c.Fix)
		}
	}
	fmt.Fprintln(w)
	if r.OK() {
		fmt.Fprintln(w, "All checks passed.")
	} else {
		fmt.Fprintln(w, "Some checks did not pass; fix the first one marked FAIL and run doctor again.")
	}
	e := r.Evidence
	fmt.Fprintln(w)
	fmt.Fprintln(w, "--- evidence for a support ticket (no secret in it; never add the full key) ---")
	fmt.Fprintf(w, "key:        %s\n", e.Key)
	fmt.Fprintf(w, "base URL:   %s\n", e.BaseURL)
	fmt.Fprintf(w, "server:     %s\n", e.Server)
	fmt.Fprintf(w, "model:      %s\n", dash(e.Model))
	fmt.Fprintf(w, "time (UTC): %s\n", e.Time.UTC().Format(time.RFC3339))
	if e.Status != 0 {
		fmt.Fprintf(w, "status:     %d (%d ms)\n", e.Status, e.LatencyMS)
	} else {
		fmt.Fprintf(w, "status:     - (the key was not sent)\n")
	}
	fmt.Fprintf(w, "error code: %s\n", dash(e.ErrorCode))
	fmt.Fprintf(w, "request id: %s\n", dash(e.RequestID))
	fmt.Fprintln(w, "---")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
