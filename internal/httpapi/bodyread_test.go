package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

func errBody(b []byte) (code, param, message string) {
	var e struct {
		Error struct {
			Code    json.RawMessage `json:"code"`
			Reason  string          `json:"reason"` // Google's shape: "code" is the HTTP status
			Param   *string         `json:"param"`
			Message string          `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	if e.Error.Param != nil {
		param = *e.Error.Param
	}
	if json.Unmarshal(e.Error.Code, &code) != nil {
		code = e.Error.Reason
	}
	return code, param, e.Error.Message
}

// A body the upstream would read differently from the gateway — a member
// it reads given twice, or a case variant of it — is refused on every
// route, naming the member. Before, {"model":"mock-gpt-mini","Model":
// "mock-gpt"} was authorized, routed and billed as mock-gpt (case-
// insensitive, last wins) while a case-exact upstream served mock-gpt-mini.
func TestAmbiguousMembersRefusedOnEveryRoute(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"group": "limited"})
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct{ path, body, param string }{
		{"/v1/chat/completions", `{"model":"mock-gpt-mini","Model":"mock-gpt",` + msgs + `}`, "Model"},
		{"/v1/chat/completions", `{"model":"mock-gpt-mini","model":"mock-gpt",` + msgs + `}`, "model"},
		{"/v1/chat/completions", `{"model":"mock-gpt","stream":true,"Stream":false,` + msgs + `}`, "Stream"},
		{"/v1/chat/completions", `{"model":"mock-gpt","max_tokens":1,"max_tokens":100000,` + msgs + `}`, "max_tokens"},
		{"/v1/chat/completions", `{"model":"mock-gpt","stream":true,"stream_options":{"include_usage":false,"Include_usage":true},` + msgs + `}`, "stream_options.Include_usage"},
		{"/v1/completions", `{"model":"mock-gpt","prompt":"x","n":1,"n":64}`, "n"},
		{"/v1/embeddings", `{"model":"mock-embed","Model":"mock-gpt","input":"x"}`, "Model"},
		{"/v1/responses", `{"model":"mock-gpt","input":"x","max_output_tokens":5,"max_output_tokens":50000}`, "max_output_tokens"},
		{"/v1/messages", `{"model":"mock-gpt","max_tokens":5,"Max_tokens":50000,` + msgs + `}`, "Max_tokens"},
		{"/v1beta/models/mock-gpt:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":5,"max_output_tokens":50000}}`, "generationConfig.maxOutputTokens"},
		{"/v1/images/generations", `{"model":"mock-gpt","prompt":"x","n":10,"N":1}`, "N"},
	}
	for _, c := range cases {
		h := testgw.Bearer(k.Key)
		if strings.HasPrefix(c.path, "/v1beta/") {
			h = http.Header{"X-Goog-Api-Key": {k.Key}}
		}
		resp, b := g.Do("POST", c.path, h, c.body)
		code, param, msg := errBody(b)
		if resp.StatusCode != 400 || code != "invalid_request" || param != c.param || !strings.Contains(msg, `"`+c.param+`"`) {
			t.Errorf("%s %s: %d %s, want 400 invalid_request naming %q", c.path, c.body, resp.StatusCode, b, c.param)
		}
	}
	// The exact spelling alone is read as before.
	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","max_tokens":5,`+msgs+`}`)
	if resp.StatusCode != 200 {
		t.Fatalf("a plain body: %d %s", resp.StatusCode, b)
	}
}

// The hold covers every choice the upstream generates: n × max_tokens
// (candidateCount × maxOutputTokens on Gemini), and a max_tokens of 2^63−1
// saturates instead of wrapping to a negative ("free") hold. Before, n was
// ignored and the huge max_tokens wrapped: both were admitted.
func TestReservationCoversEveryChoiceAndSaturates(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	// mock-gpt: $0.60 per million output tokens. 64 × 40 tokens cost
	// $0.0015, more than the $0.0001 budget; one choice of 40 fits.
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.0001, "period": "monthly"}})
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	gem := http.Header{"X-Goog-Api-Key": {k.Key}}
	cases := []struct {
		path, body string
		h          http.Header
	}{
		{"/v1/chat/completions", `{"model":"mock-gpt","n":64,"max_tokens":40,` + msgs + `}`, nil},
		{"/v1/completions", `{"model":"mock-gpt","prompt":"x","best_of":64,"max_tokens":40}`, nil},
		{"/v1/chat/completions", `{"model":"mock-gpt","max_tokens":9223372036854775807,` + msgs + `}`, nil},
		{"/v1/chat/completions", `{"model":"mock-gpt","n":9223372036854775807,"max_tokens":9223372036854775807,` + msgs + `}`, nil},
		{"/v1beta/models/mock-gpt:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":40,"candidateCount":64}}`, gem},
	}
	for _, c := range cases {
		h := c.h
		if h == nil {
			h = testgw.Bearer(k.Key)
		}
		resp, b := g.Do("POST", c.path, h, c.body)
		code, _, _ := errBody(b)
		if strings.HasPrefix(c.path, "/v1beta/") { // Google's shape: our code is the reason
			var e struct{ Error struct{ Reason string } }
			_ = json.Unmarshal(b, &e)
			code = e.Error.Reason
		}
		if resp.StatusCode != 429 || code != "insufficient_quota" {
			t.Errorf("%s %s: %d %s, want 429 insufficient_quota", c.path, c.body, resp.StatusCode, b)
		}
	}
	if resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","n":1,"max_tokens":40,`+msgs+`}`); resp.StatusCode != 200 {
		t.Fatalf("one choice of 40 tokens must fit: %d %s", resp.StatusCode, b)
	}
}

var fitRE = regexp.MustCompile(`largest max_tokens that fits in what is left is (\d+)`)

// A refusal tells the truth: the budget with the digits that make it
// non-zero, "too small for this call's worst case" when nothing is spent,
// and the largest max_tokens that fits — which then does fit, and one more
// does not. Before: "The monthly budget … ($0.00) is exhausted: $0.0000
// spent".
func TestBudgetRefusalTellsTheTruth(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.00008, "period": "monthly"}})
	const body = `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]` // no max_tokens: the model's default is the worst case
	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), body+`}`)
	code, _, msg := errBody(b)
	if resp.StatusCode != 429 || code != "insufficient_quota" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	for _, want := range []string{"$0.00008", "too small for this call's worst case", "max_tokens"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "$0.00)") || strings.Contains(msg, "$0.0000 ") {
		t.Errorf("message rounds the budget away: %s", msg)
	}
	t.Logf("refusal: %s", msg)
	m := fitRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no largest max_tokens in: %s", msg)
	}
	fit, _ := strconv.Atoi(m[1])
	if fit <= 0 {
		t.Fatalf("fit %d: %s", fit, msg)
	}
	// The fit is admitted (resent with it, the body is a little longer: the
	// fit allows for that), twice the fit is not.
	if resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), body+`,"max_tokens":`+strconv.Itoa(2*fit)+`}`); resp.StatusCode != 429 {
		t.Fatalf("max_tokens %d (twice the fit): %d %s", 2*fit, resp.StatusCode, b)
	}
	if resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), body+`,"max_tokens":`+strconv.Itoa(fit)+`}`); resp.StatusCode != 200 {
		t.Fatalf("max_tokens %d (the fit the refusal named): %d %s", fit, resp.StatusCode, b)
	}
}

// A group with budget_clamp (YAML) gets a call its budget cannot cover at
// its max_tokens sent with the cap lowered to what the budget affords,
// saying so in x-keygate-budget-clamped, instead of a refusal; other
// groups are still refused.
func TestBudgetClampLowersMaxTokens(t *testing.T) {
	cfg := strings.Replace(testgw.DefaultConfig, `  - {name: limited, models: [mock-gpt]}`,
		"  - {name: limited, models: [mock-gpt]}\n  - {name: clamped, models: [\"*\"], budget_clamp: true}", 1)
	cfg = strings.ReplaceAll(cfg, "groups: [default, limited]", "groups: [default, limited, clamped]")
	g := testgw.Start(t, testgw.Options{Config: cfg})
	budget := map[string]any{"limit_usd": 0.00008, "period": "monthly"}
	plain := g.CreateKey(map[string]any{"budget": budget})
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	var clamped testgw.CreatedKey
	for _, body := range []string{`{"model":"mock-gpt",` + msgs + `}`, `{"model":"mock-gpt","max_tokens":100000,"stream":true,` + msgs + `}`} {
		resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(plain.Key), body)
		if resp.StatusCode != 429 {
			t.Fatalf("without budget_clamp: %d %s", resp.StatusCode, b)
		}
		_, _, msg := errBody(b)
		m := fitRE.FindStringSubmatch(msg)
		if m == nil {
			t.Fatalf("no fit in %s", msg)
		}
		clamped = g.CreateKey(map[string]any{"group": "clamped", "budget": budget}) // nothing spent, as plain
		resp, b = g.Do("POST", "/v1/chat/completions", testgw.Bearer(clamped.Key), body)
		if resp.StatusCode != 200 {
			t.Fatalf("with budget_clamp: %d %s", resp.StatusCode, b)
		}
		if got, want := resp.Header.Get("X-Keygate-Budget-Clamped"), "max_tokens="+m[1]; got != want {
			t.Fatalf("x-keygate-budget-clamped = %q, want %q (the refusal's fit)", got, want)
		}
	}
	// A call that fits as asked is not touched.
	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(clamped.Key), `{"model":"mock-gpt","max_tokens":5,`+msgs+`}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Keygate-Budget-Clamped") != "" {
		t.Fatalf("a call that fits: %d %q %s", resp.StatusCode, resp.Header.Get("X-Keygate-Budget-Clamped"), b)
	}
}

// A budget that is spent says so with the spend in digits that are not
// rounded to zero, and what is left.
func TestBudgetUsedUpShowsTheSpend(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.0001, "period": "monthly"}})
	const body = `{"model":"mock-gpt","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	for i := 0; i < 200; i++ { // each call costs about $0.000005
		resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), body)
		if resp.StatusCode == 200 {
			continue
		}
		code, _, msg := errBody(b)
		if resp.StatusCode != 429 || code != "insufficient_quota" {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, b)
		}
		t.Logf("refusal: %s", msg)
		if !strings.Contains(msg, "is used up: $0.0000") || strings.Contains(msg, "$0 has been spent") || !strings.Contains(msg, "is left") {
			t.Fatalf("call %d: %s", i, msg)
		}
		return
	}
	t.Fatal("200 calls of $0.000005 each never used up a $0.0001 budget")
}
