// Package channelcheck is the doctor for upstream channels: it tells an
// operator whether a channel's base URL answers and is of the declared
// type, whether the upstream accepts its credential, which of the models
// it claims the upstream does not list, and how a 1-token call to each
// claimed model fares. It also reads the upstream's model list for a sync
// (Diff). Every text it returns has the channel's credential scrubbed.
package channelcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/azure"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
)

// Channel is what the check needs of a channel.
type Channel struct {
	Name     string
	Type     string // openai (default) | anthropic | gemini
	BaseURL  string // as declared: …/v1 for openai and anthropic, …/v1beta for gemini
	APIKey   string // the opened credential; never part of any output
	Models   []string
	ModelMap map[string]string // catalogue name → upstream name
	// APIVersion is an azure channel's api-version ("" = the adapter's default).
	APIVersion string
	// CredentialFrom says where the operator sets the credential
	// ("api_key_env OPENAI_KEY", "api_key"), for the fix of a refused one.
	CredentialFrom string
}

// Upstream is the name a claimed model has upstream (its model_map entry;
// an azure channel's deployment).
func (c Channel) Upstream(m string) string {
	if u, ok := c.ModelMap[m]; ok && u != "" {
		return u
	}
	return m
}

// Options tune a check.
type Options struct {
	// Model, when set, limits the 1-token calls to this claimed model.
	Model string
	// Timeout bounds each upstream request (default 20s).
	Timeout time.Duration
}

// Step is one verdict of the check.
type Step struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// ModelCall is the outcome of a 1-token call to one claimed model.
type ModelCall struct {
	Model     string `json:"model"`
	Upstream  string `json:"upstream_model,omitempty"` // when the channel maps the name
	OK        bool   `json:"ok"`
	Status    int    `json:"status,omitempty"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// Report is the whole check of one channel.
type Report struct {
	Channel    string      `json:"channel"`
	Type       string      `json:"type"`
	At         time.Time   `json:"at"`
	OK         bool        `json:"ok"`
	Reachable  Step        `json:"reachable"`
	Credential Step        `json:"credential"`
	Models     ModelsStep  `json:"models"`
	Calls      []ModelCall `json:"calls"`
}

// ModelsStep compares what the upstream lists with what the channel claims.
type ModelsStep struct {
	Step
	Listed  int      `json:"listed"`            // how many models the upstream lists
	Missing []string `json:"missing,omitempty"` // claimed (upstream names) but not listed
}

// Diff is the upstream's model list against the channel's claimed models.
type Diff struct {
	Listed  []string `json:"listed"`
	New     []string `json:"new"`     // listed by the upstream, not claimed: offered, never added silently
	Missing []string `json:"missing"` // claimed, not listed by the upstream
}

// DiffModels compares claimed (upstream names) with listed.
func DiffModels(claimed, listed []string) Diff {
	d := Diff{Listed: sortedUnique(listed), New: []string{}, Missing: []string{}}
	for _, l := range d.Listed {
		if !slices.Contains(claimed, l) {
			d.New = append(d.New, l)
		}
	}
	for _, c := range sortedUnique(claimed) {
		if !slices.Contains(d.Listed, c) {
			d.Missing = append(d.Missing, c)
		}
	}
	return d
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Checker runs checks over one HTTP client.
type Checker struct {
	HTTP *http.Client
	Now  func() time.Time
}

func (k *Checker) client() *http.Client {
	if k.HTTP != nil {
		return k.HTTP
	}
	return noRedirects
}

// noRedirects is the client of a Checker given none. Like the relay's, it
// never follows an upstream's redirect: Go would re-send x-api-key and
// x-goog-api-key (it strips only Authorization) to wherever it pointed. The
// 3xx answer is judged as it is.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Errors of ListModels, to tell the cases apart.
var (
	ErrUnreachable = errors.New("upstream unreachable")
	ErrWrongType   = errors.New("upstream answered, but not like the declared type")
	ErrCredential  = errors.New("upstream refused the credential")
)

// ListError is a failed model list with the upstream's status and words.
type ListError struct {
	Kind   error // ErrUnreachable, ErrWrongType or ErrCredential
	Status int
	Detail string // scrubbed
}

func (e *ListError) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *ListError) Unwrap() error { return e.Kind }

const maxPages = 20 // bounds paging through a model list

// ListModels reads the upstream's model list: GET {base}/models for
// OpenAI-compatible and Anthropic channels (Anthropic pages with after_id),
// GET {base}/models for Gemini (pages with pageToken, names without
// their "models/" prefix).
func (k *Checker) ListModels(ctx context.Context, ch Channel, timeout time.Duration) ([]string, error) {
	base, err := url.Parse(strings.TrimRight(ch.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, &ListError{Kind: ErrUnreachable, Detail: fmt.Sprintf("base_url %q is not an absolute URL", ch.BaseURL)}
	}
	var out []string
	next := ""
	for page := 0; page < maxPages; page++ {
		u := base.String() + "/models"
		q := url.Values{}
		switch typ(ch) {
		case "azure":
			// The resource lists the base models it can deploy; deployments
			// themselves are checked by their 1-token calls.
			u = strings.TrimSuffix(base.String(), "/openai") + "/openai/models"
			q.Set("api-version", azureVersion(ch))
		case "anthropic":
			q.Set("limit", "1000")
			if next != "" {
				q.Set("after_id", next)
			}
		case "gemini":
			q.Set("pageSize", "1000")
			if next != "" {
				q.Set("pageToken", next)
			}
		}
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		status, body, err := k.do(ctx, ch, http.MethodGet, u, nil, timeout)
		if err != nil {
			return nil, &ListError{Kind: ErrUnreachable, Detail: err.Error()}
		}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden || geminiKeyRefused(typ(ch), status, body):
			return nil, &ListError{Kind: ErrCredential, Status: status, Detail: upstreamWords(body, ch.APIKey)}
		case status != http.StatusOK:
			return nil, &ListError{Kind: ErrWrongType, Status: status,
				Detail: fmt.Sprintf("GET %s answered %d: %s", redactURL(u), status, upstreamWords(body, ch.APIKey))}
		}
		ids, more, err := parseList(listShape(ch), body)
		if err != nil {
			return nil, &ListError{Kind: ErrWrongType, Status: status,
				Detail: fmt.Sprintf("GET %s answered 200, but %v", redactURL(u), err)}
		}
		out = append(out, ids...)
		if more == "" {
			return out, nil
		}
		next = more
	}
	return out, nil
}

// geminiKeyRefused tells Google's "API key not valid" (a 400, not a 401)
// from a request it judged wrong.
func geminiKeyRefused(t string, status int, body []byte) bool {
	return t == "gemini" && status == http.StatusBadRequest &&
		(bytes.Contains(body, []byte("API_KEY_INVALID")) || bytes.Contains(body, []byte("API key not valid")))
}

func listShape(ch Channel) string {
	if typ(ch) == "azure" {
		return "openai"
	}
	return typ(ch)
}

func azureVersion(ch Channel) string {
	if ch.APIVersion != "" {
		return ch.APIVersion
	}
	return azure.DefaultAPIVersion
}

func typ(ch Channel) string {
	if ch.Type == "" {
		return "openai"
	}
	return ch.Type
}

// parseList reads one page of a model list in the type's shape; more is
// the cursor of the next page ("" when this was the last).
func parseList(t string, body []byte) (ids []string, more string, err error) {
	switch t {
	case "gemini":
		var v struct {
			Models *[]struct {
				Name string `json:"name"`
			} `json:"models"`
			Next string `json:"nextPageToken"`
		}
		if json.Unmarshal(body, &v) != nil || v.Models == nil {
			return nil, "", errors.New(`not like a Gemini model list ({"models":[{"name":…}]}): is the base URL the Gemini API's …/v1beta?`)
		}
		for _, m := range *v.Models {
			ids = append(ids, strings.TrimPrefix(m.Name, "models/"))
		}
		return ids, v.Next, nil
	default:
		var v struct {
			Data *[]struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"data"`
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		shape := `an OpenAI model list ({"object":"list","data":[{"id":…}]})`
		if t == "anthropic" {
			shape = `an Anthropic model list ({"data":[{"id":…,"type":"model"}]})`
		}
		if json.Unmarshal(body, &v) != nil || v.Data == nil {
			return nil, "", fmt.Errorf("not like %s: is this the %s API's base URL?", shape, t)
		}
		for _, m := range *v.Data {
			if m.ID == "" {
				return nil, "", fmt.Errorf("not like %s: an entry has no id", shape)
			}
			ids = append(ids, m.ID)
		}
		if t == "anthropic" && v.HasMore && v.LastID != "" {
			return ids, v.LastID, nil
		}
		return ids, "", nil
	}
}

// Run checks one channel in order: reachable and of its type, credential
// accepted, claimed models listed, one 1-token call per claimed model (or
// opt.Model). A step that cannot be judged because an earlier one failed
// says so.
func (k *Checker) Run(ctx context.Context, ch Channel, opt Options) Report {
	if opt.Timeout <= 0 {
		opt.Timeout = 20 * time.Second
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	r := Report{Channel: ch.Name, Type: typ(ch), At: now().UTC(), Calls: []ModelCall{}}
	listed, err := k.ListModels(ctx, ch, opt.Timeout)
	var le *ListError
	errors.As(err, &le)
	switch {
	case err == nil:
		r.Reachable = Step{OK: true, Detail: fmt.Sprintf("%s answers like a %s API", ch.BaseURL, r.Type)}
		r.Credential = Step{OK: true, Detail: "the upstream accepted the channel's credential"}
	case errors.Is(err, ErrUnreachable):
		r.Reachable = Step{Detail: le.Detail, Fix: "check base_url (scheme, host, port) and that the upstream is up and reachable from the gateway"}
		r.Credential = Step{Detail: "not checked: the upstream did not answer"}
	case errors.Is(err, ErrCredential):
		r.Reachable = Step{OK: true, Detail: fmt.Sprintf("%s answers", ch.BaseURL)}
		r.Credential = Step{Detail: fmt.Sprintf("the upstream refused the channel's credential (HTTP %d): %s", le.Status, le.Detail),
			Fix: credentialFix(ch)}
	default:
		r.Reachable = Step{Detail: le.Detail, Fix: typeFix(ch)}
		r.Credential = Step{Detail: "not checked: the upstream did not answer like a " + r.Type + " API"}
	}
	claimed := make([]string, 0, len(ch.Models))
	for _, m := range ch.Models {
		claimed = append(claimed, ch.Upstream(m))
	}
	if err == nil && r.Type == "azure" {
		r.Models = ModelsStep{Step: Step{OK: true, Detail: "not compared: an Azure resource lists the models it can deploy, not its deployments; each deployment is checked by its call below"},
			Listed: len(listed)}
	} else if err == nil {
		d := DiffModels(claimed, listed)
		r.Models = ModelsStep{Listed: len(d.Listed), Missing: d.Missing}
		r.Models.OK = len(d.Missing) == 0
		if r.Models.OK {
			r.Models.Detail = fmt.Sprintf("the upstream lists all %d claimed models", len(claimed))
		} else {
			r.Models.Detail = fmt.Sprintf("the upstream does not list %s", strings.Join(d.Missing, ", "))
			r.Models.Fix = "remove these from the channel's models (or map them with model_map to names the upstream lists); `keygate channels models " + ch.Name + " --diff` shows what it serves"
		}
	} else {
		r.Models.Detail = "not checked: the model list could not be read"
	}
	if r.Reachable.OK && r.Credential.OK {
		for _, m := range ch.Models {
			if opt.Model != "" && m != opt.Model {
				continue
			}
			r.Calls = append(r.Calls, k.call(ctx, ch, m, opt.Timeout))
		}
	}
	r.OK = r.Reachable.OK && r.Credential.OK && r.Models.OK
	for _, c := range r.Calls {
		r.OK = r.OK && c.OK
	}
	return r
}

func credentialFix(ch Channel) string {
	where := "the channel's credential"
	if ch.CredentialFrom != "" {
		where = ch.CredentialFrom
	}
	return fmt.Sprintf("set a valid %s key in %s (PATCH /admin/v1/channels/%s with a new api_key, or `keygate channels update %s --api-key-env VAR`); the upstream's own console tells whether the key was revoked or lacks access",
		typ(ch), where, ch.Name, ch.Name)
}

func typeFix(ch Channel) string {
	switch typ(ch) {
	case "anthropic":
		return "an anthropic channel's base_url is the API root with /v1, e.g. https://api.anthropic.com/v1"
	case "gemini":
		return "a gemini channel's base_url is the API root with /v1beta, e.g. https://generativelanguage.googleapis.com/v1beta"
	case "azure":
		return "an azure channel's base_url is the resource endpoint, e.g. https://RESOURCE.openai.azure.com, and api_version one the resource supports"
	}
	return "an openai channel's base_url ends where /chat/completions and /models are appended: usually …/v1 (https://api.openai.com/v1, http://host:8000/v1 for vLLM); or declare the channel's real type"
}

// call makes one 1-token request to model and times it.
func (k *Checker) call(ctx context.Context, ch Channel, model string, timeout time.Duration) ModelCall {
	up := ch.Upstream(model)
	mc := ModelCall{Model: model}
	if up != model {
		mc.Upstream = up
	}
	base := strings.TrimRight(ch.BaseURL, "/")
	var u string
	var body []byte
	switch typ(ch) {
	case "anthropic":
		u = base + "/messages"
		body, _ = json.Marshal(map[string]any{"model": up, "max_tokens": 1,
			"messages": []map[string]string{{"role": "user", "content": "ping"}}})
	case "azure":
		bu, _ := url.Parse(base)
		q := bu.Query()
		q.Set("api-version", azureVersion(ch))
		bu.RawQuery = q.Encode()
		u = azure.URL(bu, up, "chat/completions")
		body, _ = json.Marshal(map[string]any{"max_tokens": 1, "messages": []map[string]string{{"role": "user", "content": "ping"}}})
	case "gemini":
		bu, _ := url.Parse(base)
		if strings.Contains(up, "embed") {
			u = gemini.URL(bu, up, "embedContent")
			body = []byte(`{"content":{"parts":[{"text":"ping"}]}}`)
		} else {
			u = gemini.URL(bu, up, "generateContent")
			body = []byte(`{"contents":[{"role":"user","parts":[{"text":"ping"}]}],"generationConfig":{"maxOutputTokens":1}}`)
		}
	default:
		if strings.Contains(up, "embed") {
			// An embeddings model takes no chat call; one short input is its
			// cheapest real request.
			u = base + "/embeddings"
			body, _ = json.Marshal(map[string]any{"model": up, "input": "ping"})
		} else {
			u = base + "/chat/completions"
			body, _ = json.Marshal(map[string]any{"model": up, "max_tokens": 1,
				"messages": []map[string]string{{"role": "user", "content": "ping"}}})
		}
	}
	start := time.Now()
	status, resp, err := k.do(ctx, ch, http.MethodPost, u, body, timeout)
	mc.LatencyMS = time.Since(start).Milliseconds()
	mc.Status = status
	switch {
	case err != nil:
		mc.Error = err.Error()
	case status/100 != 2:
		mc.Error = fmt.Sprintf("HTTP %d: %s", status, upstreamWords(resp, ch.APIKey))
	default:
		mc.OK = true
	}
	return mc
}

const maxRead = 1 << 20

// do sends one request with the channel type's auth headers. Transport
// errors come back scrubbed of the credential and of the URL's query.
func (k *Checker) do(ctx context.Context, ch Channel, method, u string, body []byte, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, errors.New(provider.Scrub(err.Error(), ch.APIKey))
	}
	c := provider.Credential{APIKey: ch.APIKey}
	var auth http.Header
	switch typ(ch) {
	case "anthropic":
		auth = anthropic.Header(c)
	case "gemini":
		auth = gemini.Header(c)
	case "azure":
		auth = azure.Header(c)
	default:
		auth = openai.Header(c)
	}
	for key, vs := range auth {
		req.Header[key] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := k.client().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", ue.Op, redactURL(ue.URL), ue.Err)
		}
		return 0, nil, errors.New(provider.Scrub(err.Error(), ch.APIKey))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	if err != nil {
		return resp.StatusCode, nil, errors.New(provider.Scrub("read the answer: "+err.Error(), ch.APIKey))
	}
	return resp.StatusCode, b, nil
}

// redactURL drops a URL's query (a key could travel there) for messages.
func redactURL(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i]
	}
	return s
}

// upstreamWords is the upstream's error message (the error object's
// message when there is one), scrubbed and bounded.
func upstreamWords(body []byte, credential string) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	s := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &v) == nil && len(v.Error) > 0 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &e) == nil && e.Message != "" {
			s = e.Message
		} else {
			s = string(v.Error)
		}
	}
	s = provider.Scrub(s, credential)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	if s == "" {
		s = "(no body)"
	}
	return s
}
