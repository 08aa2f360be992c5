package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/limit"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/usage"
)

// defaultMaxOutput is the output cap reserved for when neither the request
// nor the model says one.
const defaultMaxOutput = 4096

// Estimate bounds what one call may use, for admission.
type Estimate struct {
	InputTokens int  // prompt estimate (EstimateInput of the body length)
	MaxOutput   int  // the caller's max_tokens / max_completion_tokens; 0 = not given
	NoOutput    bool // the call produces no output tokens (embeddings)
	// ReserveUSD, when > 0, is the call's worst-case cost priced another
	// way (per image): it is reserved instead of the token estimate's cost.
	ReserveUSD float64
}

// EstimateInput is a deliberately high prompt estimate from a body's
// length: one token per 3 bytes (English runs at about 4), so a
// reservation is an upper bound of what the prompt costs.
func EstimateInput(bodyBytes int) int { return (bodyBytes + 2) / 3 }

// admission is what admit took for one call; it lives in the pooled Scope
// so admitting allocates nothing when no budget applies.
type admission struct {
	active bool
	res    *ledger.Reservation
	key    string
	rule   limit.Rule
	conc   int
	tokens int
}

// admit checks the caller's concurrency, rate limits and budgets for one
// call of model m, in that order, and holds what the call may use. Every
// successful admit must be followed by settleAdmission (the handler does
// it after the upstream call; withScope releases a forgotten one). It sets
// the x-ratelimit-* headers when a rate limit applies.
func (s *Server) admit(ctx context.Context, sc *Scope, m *catalog.Model, g *catalog.Group, est Estimate) error {
	k := sc.Key
	a := &sc.adm
	*a = admission{key: k.ID, rule: limit.Rule{RPM: k.RPM, TPM: k.TPM}, conc: keyConcurrency(k, g, s.KeyConcurrency)}
	whose := "the key's own"
	if g != nil {
		if a.rule.RPM == 0 {
			a.rule.RPM = g.RPM
		}
		if a.rule.TPM == 0 {
			a.rule.TPM = g.TPM
		}
		if k.RPM == 0 && k.TPM == 0 {
			whose = fmt.Sprintf("its group %q's", g.Name)
		}
	}
	if ok, n := s.Gate.Acquire(k.ID, a.conc); !ok {
		return concurrencyError(k, g, n, a.conc)
	}
	out := est.MaxOutput
	a.tokens = est.InputTokens + out
	if !a.rule.Zero() && s.Limits != nil {
		res, err := s.Limits.Admit(ctx, k.ID, a.rule, a.tokens)
		if err != nil {
			s.Gate.Release(k.ID, a.conc)
			return apierr.Wrap(apierr.ServiceUnavailable, err, "The gateway cannot check this key's rate limits right now.", "Retry shortly.")
		}
		rateHeaders(sc.w.Header(), a.rule, &res)
		if !res.Allowed {
			s.Gate.Release(k.ID, a.conc)
			return rateError(k, a.rule, &res, a.tokens, whose)
		}
	}
	if out == 0 && !est.NoOutput {
		out = defaultMaxOutput
		if m.MaxOutput > 0 {
			out = m.MaxOutput
		}
	}
	if s.Ledger != nil {
		var bs [ledger.MaxBudgets]ledger.Budget
		n := 0
		if k.BudgetUSD > 0 {
			bs[n] = ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: k.BudgetPeriod, Limit: ledger.FromUSD(k.BudgetUSD)}
			n++
		}
		// The owner's budget covers all their keys together.
		var mem *catalog.Member
		if k.Member != "" {
			if mem = s.Catalog.Snapshot().Members[k.Member]; mem != nil {
				bs[n] = ledger.Budget{Scope: ledger.ScopeMember, Subject: mem.ID, Period: mem.BudgetPeriod, Limit: ledger.FromUSD(mem.BudgetUSD)}
				n++
			}
		}
		if p := s.Catalog.Snapshot().Projects[k.Project]; p != nil {
			if p.BudgetUSD > 0 {
				bs[n] = ledger.Budget{Scope: ledger.ScopeProject, Subject: p.Name, Period: p.BudgetPeriod, Limit: ledger.FromUSD(p.BudgetUSD)}
				n++
			}
			if k.Env == envTest && p.TestBudgetUSD > 0 {
				bs[n] = ledger.Budget{Scope: ledger.ScopeProjectTest, Subject: p.Name, Period: p.TestBudgetPeriod, Limit: ledger.FromUSD(p.TestBudgetUSD)}
				n++
			}
		}
		if n > 0 {
			mult := 0.0
			if g != nil {
				mult = g.PriceMultiplier
			}
			cost := usage.Cost(usage.Usage{InputTokens: est.InputTokens, OutputTokens: out},
				usage.Prices{InputPerMTok: m.InputPerMTok, OutputPerMTok: m.OutputPerMTok}, mult)
			if est.ReserveUSD > 0 {
				cost = est.ReserveUSD
			}
			res, err := s.Ledger.Reserve(ctx, bs[:n], ledger.FromUSD(cost))
			if err != nil {
				s.Gate.Release(k.ID, a.conc)
				var ex *ledger.Exhausted
				if errors.As(err, &ex) {
					return quotaError(k, mem, ex)
				}
				return apierr.Wrap(apierr.ServiceUnavailable, err, "The gateway cannot check the budgets of this call right now, so it refuses rather than overspend.",
					"Retry shortly; if it persists, tell the gateway operator (the database or Redis is unreachable).")
			}
			a.res = res
		}
	}
	a.active = true
	return nil
}

// settleAdmission ends what admit held: the budget hold becomes the real
// cost (USD), tokens beyond the admission estimate are charged to the
// token rate, and the concurrency slot is freed. It runs on a context that
// outlives the client, so a call cut short is still settled.
func (s *Server) settleAdmission(ctx context.Context, sc *Scope, costUSD float64, tokens int) {
	a := &sc.adm
	if !a.active {
		return
	}
	a.active = false
	if a.res != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.res.Settle(ctx, ledger.FromUSD(costUSD)); err != nil {
			s.Log.Error("settling a budget reservation failed", "request_id", sc.RequestID, "key_id", a.key, "err", err)
		}
		cancel()
		a.res = nil
	}
	if extra := tokens - a.tokens; extra > 0 && a.rule.TPM > 0 && s.Limits != nil {
		if err := s.Limits.Charge(ctx, a.key, a.rule, extra); err != nil {
			s.Log.Warn("charging tokens to the rate limit failed", "request_id", sc.RequestID, "key_id", a.key, "err", err)
		}
	}
	s.Gate.Release(a.key, a.conc)
}

// rateHeaders writes OpenAI's x-ratelimit-* headers for the limits that
// apply.
func rateHeaders(h http.Header, r limit.Rule, res *limit.Result) {
	// One backing array for all six values: one allocation, not six.
	var vals []string
	if r.RPM > 0 || r.TPM > 0 {
		vals = make([]string, 6)
	}
	set := func(i int, k, v string) { vals[i] = v; h[k] = vals[i : i+1 : i+1] }
	if r.RPM > 0 {
		set(0, "X-Ratelimit-Limit-Requests", strconv.Itoa(r.RPM))
		set(1, "X-Ratelimit-Remaining-Requests", strconv.Itoa(res.Requests.Remaining))
		set(2, "X-Ratelimit-Reset-Requests", limit.FormatReset(res.Requests.Reset))
	}
	if r.TPM > 0 {
		set(3, "X-Ratelimit-Limit-Tokens", strconv.Itoa(r.TPM))
		set(4, "X-Ratelimit-Remaining-Tokens", strconv.Itoa(res.Tokens.Remaining))
		set(5, "X-Ratelimit-Reset-Tokens", limit.FormatReset(res.Tokens.Reset))
	}
}

func rateError(k *catalog.KeyEntry, r limit.Rule, res *limit.Result, tokens int, whose string) error {
	wait := res.RetryAfter()
	secs := max(1, int((wait+time.Second-1)/time.Second))
	hint := fmt.Sprintf("Retry after %d s (Retry-After); the x-ratelimit-* headers show what is left. If your steady traffic needs more, ask an owner or admin for a higher limit.", secs)
	var e *apierr.Error
	switch {
	case res.TooLarge:
		e = apierr.New(apierr.RateLimitExceeded,
			fmt.Sprintf("This call needs about %d tokens (prompt estimate plus max_tokens), more than the whole %d tokens per minute of key %s (%s limit): it can never fit.", tokens, r.TPM, k.Display, whose),
			"Lower max_tokens or shorten the prompt, or ask an owner or admin for a higher tpm.")
		return e
	case res.Refused == "tokens":
		e = apierr.New(apierr.RateLimitExceeded,
			fmt.Sprintf("Key %s is over %s limit of %d tokens per minute: this call needs about %d tokens (prompt estimate plus max_tokens) and %d remain.", k.Display, whose, r.TPM, tokens, res.Tokens.Remaining),
			hint)
	default:
		e = apierr.New(apierr.RateLimitExceeded,
			fmt.Sprintf("Key %s is over %s limit of %d requests per minute.", k.Display, whose, r.RPM), hint)
	}
	return e.WithHeader("Retry-After", strconv.Itoa(secs))
}

func quotaError(k *catalog.KeyEntry, mem *catalog.Member, ex *ledger.Exhausted) error {
	var which string
	switch ex.Budget.Scope {
	case ledger.ScopeKey:
		which = fmt.Sprintf("key %s (%s)", k.Display, k.ID)
	case ledger.ScopeProject:
		which = fmt.Sprintf("project %q", ex.Budget.Subject)
	case ledger.ScopeMember:
		who := ex.Budget.Subject
		if mem != nil && mem.ID == who {
			who = mem.Email + " (" + mem.ID + ")"
		}
		which = fmt.Sprintf("member %s, shared by all the keys they own (key %s is one of them)", who, k.Display)
	case ledger.ScopeProjectTest:
		which = fmt.Sprintf("project %q's test keys (the test budget, shared by all its kg_test_ keys; key %s is one of them)", ex.Budget.Subject, k.Display)
	default:
		which = fmt.Sprintf("%s %q", ex.Budget.Scope, ex.Budget.Subject)
	}
	msg := fmt.Sprintf("The %s budget of %s ($%.2f) is exhausted: $%.4f spent", ex.Budget.Period, which, ledger.ToUSD(ex.Budget.Limit), ledger.ToUSD(ex.Spent))
	if ex.Reserved > 0 {
		msg += fmt.Sprintf(", $%.4f held by calls in flight", ledger.ToUSD(ex.Reserved))
	}
	msg += fmt.Sprintf(", and this call may cost up to $%.4f.", ledger.ToUSD(ex.Asked))
	if ex.ResetAt.IsZero() {
		msg += " It is a total budget and does not reset."
	} else {
		msg += " It resets at " + ex.ResetAt.UTC().Format(time.RFC3339) + "."
	}
	return apierr.New(apierr.InsufficientQuota, msg,
		"Wait for the reset, lower max_tokens or use a cheaper model, or ask an owner or admin to raise the budget. Retrying now will not help.")
}

// keyConcurrency is the cap on a key's calls in flight on this instance:
// the key's own, else its group's default, else the gateway's
// (KEYGATE_KEY_CONCURRENCY); 0 = unlimited.
func keyConcurrency(k *catalog.KeyEntry, g *catalog.Group, def int) int {
	switch {
	case k.Concurrency > 0:
		return k.Concurrency
	case g != nil && g.Concurrency > 0:
		return g.Concurrency
	}
	return def
}

// concurrencyError refuses a call over the key's concurrency cap, naming
// where the cap comes from.
func concurrencyError(k *catalog.KeyEntry, g *catalog.Group, inFlight, limit int) error {
	var whose, raise string
	switch {
	case k.Concurrency > 0:
		whose = "the key's own limit"
		raise = "ask an owner or admin to raise the key's concurrency (PATCH /admin/v1/keys/" + k.ID + ` {"concurrency": N})`
	case g != nil && g.Concurrency > 0:
		whose = fmt.Sprintf("the default of its group %q", g.Name)
		raise = "ask an owner or admin to give the key a concurrency of its own (PATCH /admin/v1/keys/" + k.ID + ` {"concurrency": N}) or to raise the group's`
	default:
		whose = "the gateway's per-key default (KEYGATE_KEY_CONCURRENCY)"
		raise = "ask an owner or admin to give the key a concurrency of its own (PATCH /admin/v1/keys/" + k.ID + ` {"concurrency": N})`
	}
	return apierr.New(apierr.RateLimitExceeded,
		fmt.Sprintf("Key %s is at its limit of calls in flight on this gateway instance: %d running, and %s is %d at once.", k.Display, inFlight, whose, limit),
		"Wait for a call to finish before starting another (Retry-After), or lower your client's parallelism; if your workload needs more, "+raise+".").
		WithHeader("Retry-After", "1")
}

// addSpend fills in what a key with a budget spent in the current period.
func (s *Server) addSpend(ctx context.Context, v *KeyView, k *store.Key) error {
	if s.Ledger == nil || k.BudgetUSD <= 0 {
		return nil
	}
	spent, reset, err := s.Ledger.Usage(ctx, ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: k.BudgetPeriod, Limit: ledger.FromUSD(k.BudgetUSD)})
	if err != nil {
		return apierr.Wrap(apierr.ServiceUnavailable, err, "The key's spend cannot be read right now.", "Retry shortly.")
	}
	usd := ledger.ToUSD(spent)
	v.SpentUSD = &usd
	v.BudgetResetsAt = timePtr(reset)
	return nil
}
