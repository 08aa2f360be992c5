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
//
// A run reports every problem it can find: a mistake doctor can correct for
// (whitespace or quotes around the key, a base URL with a known mistake) is
// reported, and the next checks go on with the corrected value, so a user
// with two mistakes learns both at once. Every line is written in the
// language of Options.Lang (English or Simplified Chinese), and keygate is
// asked for its messages and hints in that language too.
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
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
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
	Lang    i18n.Lang        // of every line, and asked of the server (Accept-Language); default English
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
	Name   string // one of the Check… constants (English; Write shows it in the report's language)
	Status Status
	Detail string // what was seen
	Fix    string // what to do, when it did not pass
	// Continued is set on a failed check whose mistake doctor corrected for
	// the next checks (a trimmed key, a suggested base URL), so they ran.
	Continued bool
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
	Lang     i18n.Lang
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

// checkTitles are the catalogue texts of the check names.
var checkTitles = map[string]i18n.Message{
	CheckBaseURL: i18n.M("doctor.check.base_url"),
	CheckKey:     i18n.M("doctor.check.key"),
	CheckModels:  i18n.M("doctor.check.models"),
	CheckModel:   i18n.M("doctor.check.model"),
	CheckChat:    i18n.M("doctor.check.chat"),
}

// Title is the name of check c in l.
func Title(c string, l i18n.Lang) string {
	if m, ok := checkTitles[c]; ok {
		return m.Render(l)
	}
	return c
}

// runner carries the state of one run.
type runner struct {
	o       Options
	rep     *Report
	key     string // the key the checks send: Options.Key, or that key trimmed by checkKey
	base    string // normalised base URL, no trailing slash
	u       *url.URL
	keygate bool
	models  []string
}

// tr renders m in the run's language.
func (rn *runner) tr(m i18n.Message) string { return m.Render(rn.o.Lang) }

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
	if o.Lang == "" {
		o.Lang = i18n.EN
	}
	rn := &runner{o: o, rep: &Report{Lang: o.Lang}, key: o.Key}
	rn.rep.Evidence = Evidence{Key: displayKey(o.Key, o.Lang), BaseURL: o.BaseURL, Model: o.Model, Server: "unknown"}
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
			rn.rep.Checks = append(rn.rep.Checks, Check{Name: st.name, Status: Skip,
				Detail: rn.tr(i18n.M("doctor.skip", i18n.S("check", Title(failed, o.Lang))))})
			continue
		}
		c := st.run(ctx)
		c.Name = st.name
		c.Detail, c.Fix = rn.scrub(c.Detail), rn.scrub(c.Fix)
		rn.rep.Checks = append(rn.rep.Checks, c)
		if c.Status == Fail && !c.Continued {
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
func displayKey(k string, l i18n.Lang) string {
	d := keys.DisplayPresented(trimAround(k))
	if d == "" {
		if k == "" {
			return i18n.M("doctor.key.none").Render(l)
		}
		return i18n.M("doctor.key.too_short").Render(l)
	}
	return d
}

// trimAround strips whitespace, invisible characters and quotes around k:
// what a paste or a .env line adds and a key never holds.
func trimAround(k string) string {
	for {
		t := strings.TrimFunc(k, func(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) })
		if len(t) >= 2 && strings.ContainsRune("\"'`", rune(t[0])) && t[len(t)-1] == t[0] {
			t = t[1 : len(t)-1]
		}
		if t == k {
			return t
		}
		k = t
	}
}

// scrub replaces the key, should a server ever echo it, by its display form.
func (rn *runner) scrub(s string) string {
	k := rn.o.Key
	if t := trimAround(k); len(t) >= 8 {
		s = strings.ReplaceAll(s, t, displayKey(k, rn.o.Lang))
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
	req.Header.Set("Accept-Language", string(rn.o.Lang)) // keygate answers in the reader's language
	req.Header.Set("User-Agent", "keygate-doctor")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+rn.key)
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
		return rn.tr(i18n.M("doctor.transport", i18n.S("what", what), i18n.S("err", rn.trimErr(a.err)))), rn.tr(i18n.M("doctor.transport.fix"))
	}
	detail := rn.tr(i18n.M("doctor.answered", i18n.S("what", what), i18n.N("status", a.status)))
	fix := ""
	if e := a.errBody; e != nil {
		if c := e.code(); c != "" {
			detail += " " + c
		}
		if e.Message != "" {
			detail += rn.tr(i18n.M("doctor.base.why_message", i18n.S("message", oneLine(e.Message))))
		}
		fix = e.Hint
		if e.Docs != "" {
			if fix != "" {
				fix += " "
			}
			fix += rn.tr(i18n.M("doctor.docs", i18n.S("url", rn.docsURL(e.Docs))))
		}
	} else if len(a.body) > 0 {
		detail += rn.tr(i18n.M("doctor.base.why_message", i18n.S("message", oneLine(snippet(a.body)))))
	}
	if a.requestID != "" {
		detail += rn.tr(i18n.M("doctor.request_id", i18n.S("id", a.requestID)))
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
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.base.none")), Fix: rn.tr(i18n.M("doctor.base.none.fix"))}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.base.not_http", i18n.Q("url", raw))),
			Fix: rn.tr(i18n.M("doctor.base.not_http.fix"))}
	}
	if u.User != nil {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.base.userinfo")), Fix: rn.tr(i18n.M("doctor.base.userinfo.fix"))}
	}
	if u.RawQuery != "" {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.base.query", i18n.S("query", redactQuery(u)))),
			Fix: rn.tr(i18n.M("doctor.base.query.fix"))}
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
		detail := rn.tr(i18n.M("doctor.base.ok", i18n.Sub("server", rn.serverName()), i18n.S("base", rn.base), i18n.N("status", a.status)))
		if strings.HasSuffix(u.Path, "/v1/v1") {
			return Check{Status: Fail, Detail: detail + rn.tr(i18n.M("doctor.base.twice_suffix")),
				Fix: rn.tr(i18n.M("doctor.base.use", i18n.S("base", strings.TrimSuffix(rn.base, "/v1"))))}
		}
		return Check{Status: Pass, Detail: detail}
	}
	// Not here: find out where.
	why := rn.tr(i18n.M("doctor.base.why", i18n.S("base", rn.base), i18n.N("status", a.status)))
	if a.errBody != nil && a.errBody.Message != "" {
		why += rn.tr(i18n.M("doctor.base.why_message", i18n.S("message", oneLine(a.errBody.Message))))
	} else if !isJSON(a.header) {
		why += rn.tr(i18n.M("doctor.base.why_not_json", i18n.S("type", contentType(a.header))))
	}
	for _, alt := range alternatives(u) {
		b := rn.send(ctx, http.MethodGet, alt+"/models", nil, false)
		if b.err == nil && speaksAPI(b) {
			rn.detectServer(ctx, b)
			what := i18n.M("doctor.base.lacks_v1")
			switch {
			case strings.HasSuffix(rn.base, "/v1/v1"):
				what = i18n.M("doctor.base.v1_twice")
			case len(alt) < len(rn.base):
				what = i18n.M("doctor.base.extra")
			}
			detail := rn.tr(i18n.M("doctor.base.found", i18n.Sub("what", what), i18n.S("why", why), i18n.S("alt", alt)))
			rn.useBase(alt)
			return Check{Status: Fail, Detail: detail + rn.tr(i18n.M("doctor.base.continue", i18n.S("alt", alt))),
				Fix: rn.tr(i18n.M("doctor.base.use_flag", i18n.S("alt", alt))), Continued: true}
		}
	}
	fix := rn.tr(i18n.M("doctor.base.unknown.fix"))
	if a.errBody != nil && a.errBody.Hint != "" {
		fix = a.errBody.Hint
	}
	return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.base.not_api", i18n.S("why", why))), Fix: fix}
}

// useBase makes the next checks call alt, a base URL found to work, and
// records it as the suggestion.
func (rn *runner) useBase(alt string) {
	rn.rep.SuggestedBaseURL = alt
	if u, err := url.Parse(alt); err == nil {
		rn.base, rn.u = alt, u
		rn.rep.Evidence.BaseURL = alt
	}
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

func (rn *runner) serverName() i18n.Message {
	if rn.keygate {
		return i18n.M("doctor.server.keygate")
	}
	return i18n.M("doctor.server.other")
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
// unset variable), since their keys have other shapes. Whitespace or quotes
// around the key are reported, and the next checks go on with the key
// without them (rn.key), so the user learns of any further mistake too.
func (rn *runner) checkKey(context.Context) Check {
	k := rn.o.Key
	if k == "" {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.key.missing")), Fix: rn.tr(i18n.M("doctor.key.missing.fix"))}
	}
	t := trimAround(k)
	if t == k || t == "" {
		return rn.checkKeyValue(k)
	}
	around := rn.tr(i18n.M("doctor.key.around", i18n.Sub("where", aroundKey(k, t))))
	c := rn.checkKeyValue(t)
	if c.Status == Fail {
		// The trimmed key is still unusable: say both, and stop here.
		c.Detail = rn.tr(i18n.M("doctor.then", i18n.S("first", around), i18n.S("then", c.Detail)))
		return c
	}
	rn.key = t
	return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.then", i18n.S("first", around), i18n.S("then", c.Detail))), Fix: rn.tr(i18n.M("doctor.key.around.fix")), Continued: true}
}

// aroundKey names what k has around t (its trimmed form).
func aroundKey(k, t string) i18n.Message {
	first, _ := utf8.DecodeRuneInString(k)
	last, _ := utf8.DecodeLastRuneInString(k)
	lead, trail := unicode.IsSpace(first) || isInvisible(first), unicode.IsSpace(last) || isInvisible(last)
	switch {
	case lead && trail:
		return i18n.M("doctor.key.around.both", i18n.Sub("first", credential.DescribeRune(first)), i18n.Sub("last", credential.DescribeRune(last)))
	case lead:
		return i18n.M("doctor.key.around.starts", i18n.Sub("char", credential.DescribeRune(first)))
	case trail:
		return i18n.M("doctor.key.around.ends", i18n.Sub("char", credential.DescribeRune(last)))
	}
	return i18n.M("doctor.key.around.quotes")
}

// checkKeyValue checks a key with nothing around it.
func (rn *runner) checkKeyValue(k string) Check {
	if rn.keygate || strings.HasPrefix(k, "kg_") {
		_, p := credential.Extract(http.Header{"Authorization": {"Bearer " + k}}, nil, credential.OpenAI)
		if p != nil {
			msg, hint := p.In(rn.o.Lang)
			return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.key.problem", i18n.S("code", p.Code), i18n.S("message", msg))),
				Fix: capitalize(hint) + rn.tr(i18n.M("doctor.period"))}
		}
		env := "live"
		if strings.HasPrefix(k, keys.PrefixTest) {
			env = "test"
		}
		d := rn.tr(i18n.M("doctor.key.well_formed", i18n.S("key", displayKey(k, rn.o.Lang)), i18n.S("env", env)))
		if !rn.keygate {
			return Check{Status: Warn, Detail: d + rn.tr(i18n.M("doctor.key.not_keygate_server"))}
		}
		return Check{Status: Pass, Detail: d}
	}
	if p := genericProblem(k); !p.IsZero() {
		return Check{Status: Fail, Detail: rn.tr(p), Fix: rn.tr(i18n.M("doctor.key.generic.fix"))}
	}
	d := rn.tr(i18n.M("doctor.key.generic_ok", i18n.S("key", displayKey(k, rn.o.Lang))))
	if prov, _ := keys.OtherProvider(k); prov != "" {
		d += rn.tr(i18n.M("doctor.key.shaped_like", i18n.S("provider", prov)))
	}
	return Check{Status: Pass, Detail: d}
}

// genericProblem finds what breaks a key of any provider, once whitespace
// and quotes around it are gone.
func genericProblem(k string) i18n.Message {
	if !utf8.ValidString(k) {
		return i18n.M("doctor.key.bad_utf8")
	}
	for i, r := range k {
		if unicode.IsSpace(r) || isInvisible(r) || unicode.IsControl(r) {
			return i18n.M("doctor.key.contains", i18n.Sub("char", credential.DescribeRune(r)), i18n.N("pos", utf8.RuneCountInString(k[:i])+1))
		}
	}
	if first, _ := utf8.DecodeRuneInString(k); strings.ContainsRune("\"'`", first) || strings.ContainsRune("\"'`", rune(k[len(k)-1])) {
		return i18n.M("doctor.key.quote")
	}
	switch l := strings.ToLower(k); {
	case l == "undefined" || l == "null" || l == "none" || l == "nil" || l == "your_api_key" || l == "changeme":
		return i18n.M("doctor.key.literal", i18n.Q("literal", k))
	case strings.HasPrefix(k, "$") || strings.HasPrefix(k, "<") && strings.HasSuffix(k, ">"):
		return i18n.M("doctor.key.placeholder")
	case strings.HasPrefix(l, "bearer"):
		return i18n.M("doctor.key.bearer")
	}
	return i18n.Message{}
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
				what := i18n.M("doctor.base.lacks_v1")
				if len(alt) < len(rn.base) {
					what = i18n.M("doctor.base.extra")
				}
				detail := rn.tr(i18n.M("doctor.models.wrong_base", i18n.Sub("what", what), i18n.S("base", rn.base), i18n.S("alt", alt)))
				rn.useBase(alt)
				if c := rn.modelList(b); c.Status != Pass {
					c.Detail = rn.tr(i18n.M("doctor.then", i18n.S("first", detail), i18n.S("then", c.Detail)))
					return c
				}
				return Check{Status: Fail, Detail: detail + rn.tr(i18n.M("doctor.base.continue", i18n.S("alt", alt))),
					Fix: rn.tr(i18n.M("doctor.base.use_flag", i18n.S("alt", alt))), Continued: true}
			}
		}
	}
	if a.err != nil || a.status != 200 {
		d, f := rn.explain(a, "GET /models")
		if f == "" && (a.status == 401 || a.status == 403) {
			f = rn.tr(i18n.M("doctor.models.refused.fix"))
		}
		return Check{Status: Fail, Detail: d, Fix: f}
	}
	return rn.modelList(a)
}

// modelList reads the model list of a 200 answer to GET /models.
func (rn *runner) modelList(a answer) Check {
	var l struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &l); err != nil {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.models.not_list", i18n.S("body", oneLine(snippet(a.body))))),
			Fix: rn.tr(i18n.M("doctor.models.not_list.fix"))}
	}
	rn.models = rn.models[:0]
	for _, m := range l.Data {
		rn.models = append(rn.models, m.ID)
	}
	sort.Strings(rn.models)
	if len(rn.models) == 0 {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.models.empty")), Fix: rn.tr(i18n.M("doctor.models.empty.fix"))}
	}
	return Check{Status: Pass, Detail: rn.tr(i18n.M("doctor.models.ok", i18n.N("n", len(rn.models)), i18n.S("list", rn.listSome(rn.models, 8))))}
}

// checkModel checks the model against the list, and asks the server about
// it when it is not listed (some servers list less than they serve).
func (rn *runner) checkModel(ctx context.Context) Check {
	m := rn.o.Model
	if m == "" {
		m = pickChatModel(rn.models)
		rn.o.Model = m
		rn.rep.Evidence.Model = m
		return Check{Status: Warn, Detail: rn.tr(i18n.M("doctor.model.default", i18n.Q("model", m))),
			Fix: rn.tr(i18n.M("doctor.model.default.fix"))}
	}
	for _, n := range rn.models {
		if n == m {
			return Check{Status: Pass, Detail: rn.tr(i18n.M("doctor.model.listed", i18n.Q("model", m)))}
		}
	}
	a := rn.send(ctx, http.MethodGet, rn.base+"/models/"+url.PathEscape(m), nil, true)
	if a.err == nil && a.status == 200 {
		return Check{Status: Pass, Detail: rn.tr(i18n.M("doctor.model.unlisted_ok", i18n.Q("model", m), i18n.S("name", m)))}
	}
	d, f := rn.explain(a, "GET /models/"+m)
	if a.errBody == nil || !suggests(a.errBody.Message) {
		if s := closest(m, rn.models); s != "" {
			d += rn.tr(i18n.M("doctor.model.did_you_mean", i18n.Q("model", s)))
		}
	}
	if f == "" {
		f = rn.tr(i18n.M("doctor.model.use_listed", i18n.S("list", rn.listSome(rn.models, 8))))
	}
	return Check{Status: Fail, Detail: d, Fix: f}
}

// suggests reports whether a server's message already offers a "did you
// mean" (keygate's, in either language).
func suggests(msg string) bool {
	l := strings.ToLower(msg)
	return strings.Contains(l, "did you mean") || strings.Contains(msg, i18n.M("doctor.model.did_you_mean_marker").Render(i18n.ZH))
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
				f = rn.tr(i18n.M("doctor.chat.client_fix"))
			default:
				f = rn.tr(i18n.M("doctor.chat.server_fix"))
			}
		}
		return Check{Status: Fail, Detail: d, Fix: f}
	}
	var c struct {
		Model   string `json:"model"`
		Choices []json.RawMessage
	}
	if json.Unmarshal(a.body, &c) != nil || len(c.Choices) == 0 {
		return Check{Status: Fail, Detail: rn.tr(i18n.M("doctor.chat.no_choices", i18n.S("body", oneLine(snippet(a.body))))),
			Fix: rn.tr(i18n.M("doctor.chat.no_choices.fix"))}
	}
	d := rn.tr(i18n.M("doctor.chat.ok", i18n.S("ms", strconv.FormatInt(a.latency.Milliseconds(), 10))))
	if c.Model != "" {
		d += rn.tr(i18n.M("doctor.chat.served_by", i18n.S("model", c.Model)))
	}
	if a.requestID != "" {
		d += rn.tr(i18n.M("doctor.chat.req_id", i18n.S("id", a.requestID)))
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

func (rn *runner) listSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return rn.tr(i18n.M("doctor.list.more", i18n.S("list", strings.Join(s[:n], ", ")), i18n.N("n", len(s)-n)))
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
func (rn *runner) trimErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return rn.tr(i18n.M("doctor.no_answer_in_time"))
	}
	return err.Error()
}

// Write prints the checklist and the evidence block, in the report's language.
func (r *Report) Write(w io.Writer) {
	l := r.Lang
	if l == "" {
		l = i18n.EN
	}
	tr := func(m i18n.Message) string { return m.Render(l) }
	for i, c := range r.Checks {
		fmt.Fprintf(w, "[%s] %d. %s", c.Status, i+1, Title(c.Name, l))
		if c.Detail != "" {
			fmt.Fprintf(w, " — %s", c.Detail)
		}
		fmt.Fprintln(w)
		if c.Fix != "" && (c.Status == Fail || c.Status == Warn) {
			fmt.Fprintf(w, "       %s\n", tr(i18n.M("doctor.write.fix", i18n.S("fix", c.Fix))))
		}
	}
	fmt.Fprintln(w)
	if r.OK() {
		fmt.Fprintln(w, tr(i18n.M("doctor.write.ok")))
	} else {
		fmt.Fprintln(w, tr(i18n.M("doctor.write.fail")))
	}
	e := r.Evidence
	fmt.Fprintln(w)
	fmt.Fprintln(w, tr(i18n.M("doctor.write.evidence")))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.key", i18n.S("v", e.Key))))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.base", i18n.S("v", e.BaseURL))))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.server", i18n.S("v", e.Server))))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.model", i18n.S("v", dash(e.Model)))))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.time", i18n.S("v", e.Time.UTC().Format(time.RFC3339)))))
	if e.Status != 0 {
		fmt.Fprintln(w, tr(i18n.M("doctor.write.status", i18n.N("status", e.Status), i18n.S("ms", strconv.FormatInt(e.LatencyMS, 10)))))
	} else {
		fmt.Fprintln(w, tr(i18n.M("doctor.write.status_none")))
	}
	fmt.Fprintln(w, tr(i18n.M("doctor.write.code", i18n.S("v", dash(e.ErrorCode)))))
	fmt.Fprintln(w, tr(i18n.M("doctor.write.request_id", i18n.S("v", dash(e.RequestID)))))
	fmt.Fprintln(w, "---")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
