package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/limit"
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
	var groupRule string // the group whose rate limits apply, when the key has none of its own
	if g != nil {
		if a.rule.RPM == 0 {
			a.rule.RPM = g.RPM
		}
		if a.rule.TPM == 0 {
			a.rule.TPM = g.TPM
		}
		if k.RPM == 0 && k.TPM == 0 {
			groupRule = g.Name
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
			return apierr.T(apierr.ServiceUnavailable, i18n.M("rate.unavailable"), i18n.M("retry.shortly")).WithCause(err)
		}
		rateHeaders(sc.w.Header(), a.rule, &res)
		if !res.Allowed {
			s.Gate.Release(k.ID, a.conc)
			return rateError(k, a.rule, &res, a.tokens, groupRule)
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
				return apierr.T(apierr.ServiceUnavailable, i18n.M("quota.unavailable"), i18n.M("quota.unavailable.hint")).WithCause(err)
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

// rateError refuses a call over a rate limit: the key's own, or those of
// its group groupRule when that is set.
func rateError(k *catalog.KeyEntry, r limit.Rule, res *limit.Result, tokens int, groupRule string) error {
	wait := res.RetryAfter()
	secs := max(1, int((wait+time.Second-1)/time.Second))
	hint := i18n.M("rate.hint", i18n.N("secs", secs))
	whose := i18n.M("rate.whose.key")
	if groupRule != "" {
		whose = i18n.M("rate.whose.group", i18n.Q("group", groupRule))
	}
	var e *apierr.Error
	switch {
	case res.TooLarge:
		return apierr.T(apierr.RateLimitExceeded,
			i18n.M("rate.too_large", i18n.N("tokens", tokens), i18n.N("tpm", r.TPM), i18n.S("key", k.Display), i18n.Sub("whose", whose)),
			i18n.M("rate.too_large.hint"))
	case res.Refused == "tokens":
		e = apierr.T(apierr.RateLimitExceeded,
			i18n.M("rate.tokens", i18n.S("key", k.Display), i18n.Sub("whose", whose), i18n.N("tpm", r.TPM), i18n.N("tokens", tokens),
				i18n.N("remaining", res.Tokens.Remaining)),
			hint)
	default:
		e = apierr.T(apierr.RateLimitExceeded,
			i18n.M("rate.requests", i18n.S("key", k.Display), i18n.Sub("whose", whose), i18n.N("rpm", r.RPM)), hint)
	}
	return e.WithHeader("Retry-After", strconv.Itoa(secs))
}

func quotaError(k *catalog.KeyEntry, mem *catalog.Member, ex *ledger.Exhausted) error {
	var which i18n.Message
	switch ex.Budget.Scope {
	case ledger.ScopeKey:
		which = i18n.M("quota.which.key", i18n.S("key", k.Display), i18n.S("id", k.ID))
	case ledger.ScopeProject:
		which = i18n.M("quota.which.project", i18n.Q("project", ex.Budget.Subject))
	case ledger.ScopeMember:
		who := ex.Budget.Subject
		if mem != nil && mem.ID == who {
			who = mem.Email + " (" + mem.ID + ")"
		}
		which = i18n.M("quota.which.member", i18n.S("member", who), i18n.S("key", k.Display))
	case ledger.ScopeProjectTest:
		which = i18n.M("quota.which.project_test", i18n.Q("project", ex.Budget.Subject), i18n.S("key", k.Display))
	default:
		which = i18n.M("quota.which.other", i18n.S("scope", string(ex.Budget.Scope)), i18n.Q("subject", ex.Budget.Subject))
	}
	period := i18n.Arg{Name: "period", Value: ex.Budget.Period}
	switch ex.Budget.Period {
	case ledger.Daily:
		period = i18n.Sub("period", i18n.M("quota.period.daily"))
	case ledger.Monthly:
		period = i18n.Sub("period", i18n.M("quota.period.monthly"))
	case ledger.Total:
		period = i18n.Sub("period", i18n.M("quota.period.total"))
	}
	var held, reset i18n.Message
	if ex.Reserved > 0 {
		held = i18n.M("quota.held", i18n.S("held", usd(ex.Reserved, 4)))
	}
	if ex.ResetAt.IsZero() {
		reset = i18n.M("quota.total")
	} else {
		reset = i18n.M("quota.resets_at", i18n.S("at", ex.ResetAt.UTC().Format(time.RFC3339)))
	}
	return apierr.T(apierr.InsufficientQuota,
		i18n.M("quota.exhausted", period, i18n.Sub("which", which), i18n.S("limit", usd(ex.Budget.Limit, 2)),
			i18n.S("spent", usd(ex.Spent, 4)), i18n.Sub("held", held), i18n.S("asked", usd(ex.Asked, 4)), i18n.Sub("reset", reset)),
		i18n.M("quota.exhausted.hint"))
}

// usd formats nano-USD as dollars with prec decimals ($1.50).
func usd(n int64, prec int) string {
	return "$" + strconv.FormatFloat(ledger.ToUSD(n), 'f', prec, 64)
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
	var whose, raise i18n.Message
	switch {
	case k.Concurrency > 0:
		whose = i18n.M("concurrency.whose.key")
		raise = i18n.M("concurrency.raise.key", i18n.S("id", k.ID))
	case g != nil && g.Concurrency > 0:
		whose = i18n.M("concurrency.whose.group", i18n.Q("group", g.Name))
		raise = i18n.M("concurrency.raise.group", i18n.S("id", k.ID))
	default:
		whose = i18n.M("concurrency.whose.gateway")
		raise = i18n.M("concurrency.raise.gateway", i18n.S("id", k.ID))
	}
	return apierr.T(apierr.RateLimitExceeded,
		i18n.M("concurrency.exceeded", i18n.S("key", k.Display), i18n.N("running", inFlight), i18n.Sub("whose", whose), i18n.N("limit", limit)),
		i18n.M("concurrency.exceeded.hint", i18n.Sub("raise", raise))).
		WithHeader("Retry-After", "1")
}
