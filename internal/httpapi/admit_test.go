package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testgw"
)

const chatBody = `{"model":"mock-gpt","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`

func errCode(b []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

func TestRateLimitHeadersAndRefusal(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"rpm": 3, "tpm": 100000})
	for i := 0; i < 3; i++ {
		resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody)
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i+1, resp.StatusCode, b)
		}
		if got := resp.Header.Get("x-ratelimit-limit-requests"); got != "3" {
			t.Fatalf("x-ratelimit-limit-requests = %q", got)
		}
		if got := resp.Header.Get("x-ratelimit-remaining-requests"); got != fmt.Sprint(2-i) {
			t.Fatalf("call %d: x-ratelimit-remaining-requests = %q, want %d", i+1, got, 2-i)
		}
		for _, h := range []string{"x-ratelimit-reset-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"} {
			if resp.Header.Get(h) == "" {
				t.Fatalf("call %d: no %s", i+1, h)
			}
		}
	}
	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody)
	if resp.StatusCode != 429 || errCode(b) != "rate_limit_exceeded" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th call: %d %s (Retry-After %q)", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(string(b), "3 requests per minute") || strings.Contains(string(b), k.Key) {
		t.Fatalf("message does not name the limit, or echoes the key: %s", b)
	}
	if got := resp.Header.Get("x-ratelimit-remaining-requests"); got != "0" {
		t.Fatalf("refused: x-ratelimit-remaining-requests = %q", got)
	}
}

func TestBudgetHoldsUnderParallelLoad(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g := testgw.Start(t, testgw.Options{DSN: db.DSN})
			const limit = 0.0002
			k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": limit, "period": "monthly"}})
			// No keep-alive: with hundreds of parallel calls the client dials
			// spare connections it never uses, and the gateway's shutdown
			// waits 5 s for such never-used connections.
			leaver := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			post := func(body string) (int, []byte) {
				req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+k.Key)
				resp, err := leaver.Do(req)
				if err != nil {
					t.Error(err)
					return 0, nil
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, b
			}
			var ok, quota, other atomic.Int64
			var wg sync.WaitGroup
			for i := 0; i < 200; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := chatBody
					switch i % 4 {
					case 1: // the upstream fails: released, nothing spent
						body = strings.Replace(chatBody, "mock-gpt", "mock-error-500", 1)
					case 2: // the client leaves mid-call: settled on what was produced
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
						defer cancel()
						req, _ := http.NewRequestWithContext(ctx, "POST", g.URL+"/v1/chat/completions", strings.NewReader(strings.Replace(chatBody, "mock-gpt", "mock-slow", 1)))
						req.Header.Set("Authorization", "Bearer "+k.Key)
						if resp, err := leaver.Do(req); err == nil {
							resp.Body.Close()
						}
						return
					}
					status, b := post(body)
					switch {
					case status == 200:
						ok.Add(1)
					case status == 429 && errCode(b) == "insufficient_quota":
						quota.Add(1)
						if !strings.Contains(string(b), k.ID) || !strings.Contains(string(b), "resets at") {
							t.Errorf("insufficient_quota does not say which budget and when it resets: %s", b)
						}
					default:
						other.Add(1)
					}
				}()
			}
			wg.Wait()
			l := g.App.Ledger
			deadline := time.Now().Add(5 * time.Second)
			for l.Outstanding() != 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // disconnected calls settle as their handlers end
			}
			if o := l.Outstanding(); o != 0 {
				t.Fatalf("%d reservations neither settled nor released", o)
			}
			spent, _, err := l.Usage(context.Background(), ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: ledger.Monthly, Limit: ledger.FromUSD(limit)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d ok, %d insufficient_quota, %d other; spent $%.6f of $%.6f", ok.Load(), quota.Load(), other.Load(), ledger.ToUSD(spent), limit)
			if spent > ledger.FromUSD(limit) {
				t.Fatalf("spent $%.6f > budget $%.6f", ledger.ToUSD(spent), limit)
			}
			if quota.Load() == 0 || ok.Load() == 0 {
				t.Fatal("the budget neither admitted nor refused: the test proves nothing")
			}
			var v map[string]any
			g.Admin("GET", "/admin/v1/keys/"+k.ID, nil, &v)
			if v["spent_usd"] == nil || v["budget"] == nil || v["budget_resets_at"] == nil {
				t.Fatalf("GET key: no spent_usd/budget/budget_resets_at: %v", v)
			}
		})
	}
}

func TestBudgetAlertsOncePerThreshold(t *testing.T) {
	var mu sync.Mutex
	got := map[float64]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		if ev.Type == "budget.threshold" {
			mu.Lock()
			got[ev.Data["percent"].(float64)]++
			mu.Unlock()
		}
	}))
	defer hook.Close()
	g := testgw.Start(t, testgw.Options{Configure: func(c *config.Config) {
		c.WebhookURL, c.WebhookSecret = hook.URL, "test-webhook-secret-0123456789"
	}})
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.0001, "period": "daily"}})
	for i := 0; i < 40; i++ {
		if resp, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody); resp.StatusCode == 429 {
			break
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if got[50] != 1 || got[80] != 1 || got[100] > 1 {
		t.Fatalf("budget alerts %v, want one at 50 and 80 (and at most one at 100)", got)
	}
}
