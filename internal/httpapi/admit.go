package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
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
	InputTokens int // prompt estimate (EstimateInput of the body length)
	MaxOutput   int // the caller's max_tokens / max_completion_tokens; 0 = not given
	Choices     int // completions generated per call (n, best_of, candidateCount); 0 = 1
	// CapName is the route's name for the output cap, for refusals
	// ("max_tokens" when empty).
	CapName string
	// Clamp: the handler can lower the cap in the body, so a group with
	// budget_clamp gets the call admitted with what its budget affords
	// (admission.clamped) instead of a refusal.
	Clamp    bool
	NoOutput bool // the call produces no output tokens (embeddings)
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
	// clamped is the output cap (per choice) the budget affords when admit
	// lowered it (budget_clamp); 0 when the call goes as asked.
	clamped int
}

// admit checks the caller's concurrency, rate limits and budgets for one
// call of model m, in that order, and holds what the call may use. Every
// successful admit must be followed by settleAdmission (the handler does
// it after the upstream call; withScope releases a forgotten one). It sets
// the x-ratelimit-* headers when a rate limit applies.
func (s *Server) admit(ctx context.Context, sc *Scope, m *catalog.Model, g *catalog.Group, est Estimate) error {
	k := sc.Key
	a := &sc.adm
	// Rate limits, the concurrency slot and the key budget are kept per
	// rotation lineage: a rotated key in its grace window and its
	// replacement share them (store.Key.LineageID).
	*a = admission{key: k.LineageID(), rule: limit.Rule{RPM: k.RPM, TPM: k.TPM}, conc: keyConcurrency(k, g, s.KeyConcurrency)}
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
	if ok, n := s.Gate.Acquire(a.key, a.conc); !ok {
		return concurrencyError(k, g, n, a.conc)
	}
	out := satMul(est.MaxOutput, max(est.Choices, 1))
	a.tokens = satAdd(est.InputTokens, out)
	if !a.rule.Zero() && s.Limits != nil {
		res, err := s.Limits.Admit(ctx, a.key, a.rule, a.tokens)
		if err != nil {
			s.Gate.Release(a.key, a.conc)
			return apierr.T(apierr.ServiceUnavailable, i18n.M("rate.unavailable"), i18n.M("retry.shortly")).WithCause(err)
		}
		rateHeaders(sc.w.Header(), a.rule, &res)
		if !res.Allowed {
			s.Gate.Release(a.key, a.conc)
			return rateError(k, a.rule, &res, a.tokens, groupRule)
		}
	}
	if out == 0 && !est.NoOutput {
		out = defaultMaxOutput
		if m.MaxOutput > 0 {
			out = m.MaxOutput
		}
		out = satMul(out, max(est.Choices, 1))
	}
	if s.Ledger != nil {
		var bs [ledger.MaxBudgets]ledger.Budget
		n := 0
		if k.BudgetUSD > 0 {
			bs[n] = ledger.Budget{Scope: ledger.ScopeKey, Subject: a.key, Period: k.BudgetPeriod, Limit: ledger.FromUSD(k.BudgetUSD)}
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
			// The worst case prices every prompt token at the dearer of the
			// input and cache-write prices (Anthropic's writes cost 1.25×).
			prices := usage.Prices{InputPerMTok: max(m.InputPerMTok, m.CacheWritePerMTok), OutputPerMTok: m.OutputPerMTok}
			cost := usage.Cost(usage.Usage{InputTokens: est.InputTokens, OutputTokens: out}, prices, mult)
			if est.ReserveUSD > 0 {
				cost = est.ReserveUSD
			}
			res, err := s.Ledger.Reserve(ctx, bs[:n], ledger.FromUSD(min(cost, maxHoldUSD)))
			if err != nil {
				// A refusal, out of line: its worst case and the *Exhausted
				// target escape, which an admitted call does not pay for.
				return s.reserveRefused(ctx, sc, k, mem, g, bs[:n], est, out, prices, mult, err)
			}
			a.res = res
		}
	}
	a.active = true
	return nil
}

// reserveRefused handles a reservation the ledger refused: a group with
// budget_clamp gets the call admitted with the output cap its budget
// affords (a.clamped); otherwise the slot is freed and the refusal
// explained.
func (s *Server) reserveRefused(ctx context.Context, sc *Scope, k *catalog.KeyEntry, mem *catalog.Member, g *catalog.Group, bs []ledger.Budget,
	est Estimate, out int, prices usage.Prices, mult float64, err error) error {
	a := &sc.adm
	wc := worstCase{est: est, out: out, defaulted: est.MaxOutput <= 0, prices: prices, mult: mult}
	var ex *ledger.Exhausted
	var res *ledger.Reservation
	if errors.As(err, &ex) && est.Clamp && est.ReserveUSD <= 0 && g != nil && s.BudgetClampGroups[g.Name] {
		res, a.clamped, err = s.reserveClamped(ctx, bs, &wc, ex)
	}
	if err != nil {
		s.Gate.Release(a.key, a.conc)
		if errors.As(err, &ex) {
			return quotaError(k, mem, ex, wc)
		}
		return apierr.T(apierr.ServiceUnavailable, i18n.M("quota.unavailable"), i18n.M("quota.unavailable.hint")).WithCause(err)
	}
	a.res = res
	a.active = true
	return nil
}

// reserveClamped holds what the call costs with its output cap lowered to
// the largest the budgets afford, trying again (a few times, bounded)
// when another budget, or spend meanwhile, refuses that. It returns the
// cap, or the last refusal when not even one output token fits.
func (s *Server) reserveClamped(ctx context.Context, bs []ledger.Budget, wc *worstCase, ex *ledger.Exhausted) (*ledger.Reservation, int, error) {
	var err error = ex
	for range ledger.MaxBudgets + 1 {
		fit := wc.fit(max(ex.Budget.Limit-ex.Spent-ex.Reserved, 0))
		if fit < 1 || wc.est.MaxOutput > 0 && fit >= wc.est.MaxOutput {
			return nil, 0, err
		}
		res, rerr := s.Ledger.Reserve(ctx, bs, wc.cost(fit))
		if rerr == nil {
			return res, fit, nil
		}
		if err = rerr; !errors.As(rerr, &ex) {
			return nil, 0, rerr
		}
	}
	return nil, 0, err
}

// maxHoldUSD caps one call's hold so a worst case of 2^63 tokens stays a
// huge positive amount in nano-USD instead of overflowing int64 (and
// wrapping to a negative, "free" hold).
const maxHoldUSD = 1e9

// satMul and satAdd are a*b and a+b for non-negative counts, saturating at
// math.MaxInt instead of wrapping.
func satMul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// settleAdmission ends what admit held: the budget hold becomes the real
// cost (USD), carried by the call's log row to the budgets' record; tokens
// beyond the admission estimate are charged to the token rate; and the
// concurrency slot is freed. It runs on ctx without its cancellation
// (context.WithoutCancel), so a call cut short — its client gone — is
// still settled; the context is made only when a backend is called over
// the network (an in-memory ledger and the slot take none).
func (s *Server) settleAdmission(ctx context.Context, sc *Scope, costUSD float64, tokens int) {
	a := &sc.adm
	if !a.active {
		return
	}
	a.active = false
	if a.res != nil {
		// The cost goes into the budgets' record with the call's row
		// (store.Spend), whatever the settle answers: spend and rows agree
		// whenever the process dies.
		actual := ledger.FromUSD(costUSD)
		sc.Log.Spend = a.res.Spend(actual)
		var err error
		if a.res.InMemory() {
			err = a.res.Settle(ctx, actual) // no I/O: the context is not read
		} else {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err = a.res.Settle(sctx, actual)
			cancel()
		}
		if err != nil {
			s.Log.Error("settling a budget reservation failed", "request_id", sc.RequestID, "key_id", a.key, "err", err)
		}
		a.res = nil
	}
	if extra := tokens - a.tokens; extra > 0 && a.rule.TPM > 0 && s.Limits != nil {
		if err := s.Limits.Charge(context.WithoutCancel(ctx), a.key, a.rule, extra); err != nil {
			s.Log.Warn("charging tokens to the rate limit failed", "request_id", sc.RequestID, "key_id", a.key, "err", err)
		}
	}
	s.Gate.Release(a.key, a.conc)
}

// rateHeaders writes OpenAI's x-ratelimit-* headers for the limits that
// apply. The six values are appended into one buffer and cut from one
// string: two allocations for all of them (the value slices and the
// text), not one or two per value.
func rateHeaders(h http.Header, r limit.Rule, res *limit.Result) {
	if r.RPM <= 0 && r.TPM <= 0 {
		return
	}
	var buf [128]byte
	b := buf[:0]
	var ends [6]int
	if r.RPM > 0 {
		b = strconv.AppendInt(b, int64(r.RPM), 10)
		ends[0] = len(b)
		b = strconv.AppendInt(b, int64(res.Requests.Remaining), 10)
		ends[1] = len(b)
		b = limit.AppendReset(b, res.Requests.Reset)
		ends[2] = len(b)
	} else {
		ends[0], ends[1], ends[2] = len(b), len(b), len(b)
	}
	if r.TPM > 0 {
		b = strconv.AppendInt(b, int64(r.TPM), 10)
		ends[3] = len(b)
		b = strconv.AppendInt(b, int64(res.Tokens.Remaining), 10)
		ends[4] = len(b)
		b = limit.AppendReset(b, res.Tokens.Reset)
		ends[5] = len(b)
	}
	all := string(b)
	vals := make([]string, 6)
	set := func(i int, k string) {
		from := 0
		if i > 0 {
			from = ends[i-1]
		}
		vals[i] = all[from:ends[i]]
		h[k] = vals[i : i+1 : i+1]
	}
	if r.RPM > 0 {
		set(0, "X-Ratelimit-Limit-Requests")
		set(1, "X-Ratelimit-Remaining-Requests")
		set(2, "X-Ratelimit-Reset-Requests")
	}
	if r.TPM > 0 {
		set(3, "X-Ratelimit-Limit-Tokens")
		set(4, "X-Ratelimit-Remaining-Tokens")
		set(5, "X-Ratelimit-Reset-Tokens")
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

// worstCase is what admit reserved for a call, for the refusal to explain.
type worstCase struct {
	est       Estimate
	out       int  // output tokens reserved, all choices together
	defaulted bool // the request set no cap: the model's default was reserved
	prices    usage.Prices
	mult      float64
}

// cost is what the ledger would hold for the call resent with out output
// tokens per choice. Resending it with that cap makes the body (and so the
// prompt estimate) a little longer: up to `,"max_tokens":` and ten digits.
func (w *worstCase) cost(out int) int64 {
	grow := 10
	if w.defaulted {
		grow += len(w.capName()) + 4
	}
	in := satAdd(w.est.InputTokens, EstimateInput(grow))
	c := usage.Cost(usage.Usage{InputTokens: in, OutputTokens: satMul(out, max(w.est.Choices, 1))}, w.prices, w.mult)
	return ledger.FromUSD(min(c, maxHoldUSD))
}

// fit is the largest output cap per choice whose hold fits in left
// (nano-USD), or -1 when not even the prompt does.
func (w *worstCase) fit(left int64) int {
	if w.cost(0) > left {
		return -1
	}
	lo, hi := 0, math.MaxInt32 // a cap beyond any model's; the hold grows with out
	if w.cost(hi) <= left {
		return hi
	}
	for lo < hi { // largest lo with cost(lo) ≤ left; cost(hi) > left
		mid := lo + (hi-lo+1)/2
		if w.cost(mid) <= left {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (w *worstCase) capName() string {
	if w.est.CapName == "" {
		return "max_tokens"
	}
	return w.est.CapName
}

func quotaError(k *catalog.KeyEntry, mem *catalog.Member, ex *ledger.Exhausted, wc worstCase) error {
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
	var held, reset, choices, defaulted, fitMsg i18n.Message
	if ex.Reserved > 0 {
		held = i18n.M("quota.held", i18n.S("held", usd(ex.Reserved)))
	}
	capName := wc.capName()
	left := max(ex.Budget.Limit-ex.Spent-ex.Reserved, 0)
	// What the worst case is made of: the prompt estimate and the output
	// cap (the model's default when the request sets none), per choice.
	if n := max(wc.est.Choices, 1); n > 1 {
		choices = i18n.M("quota.parts.choices", i18n.N("n", n), i18n.N("each", wc.out/n))
	}
	if wc.defaulted {
		defaulted = i18n.M("quota.parts.default", i18n.S("cap", capName))
	}
	parts := i18n.M("quota.parts", i18n.N("input", wc.est.InputTokens), i18n.N("output", wc.out), i18n.Sub("choices", choices), i18n.Sub("default", defaulted))
	fit := wc.fit(left)
	priced := wc.est.ReserveUSD > 0 // priced per image, not per token: no cap to lower
	if priced {
		parts, fit = i18n.Message{}, 0
	}
	switch {
	case wc.est.NoOutput, priced:
	case fit > 0:
		fitMsg = i18n.M("quota.fit", i18n.S("cap", capName), i18n.N("fit", fit))
	default:
		fitMsg = i18n.M("quota.no_fit")
	}
	if ex.ResetAt.IsZero() {
		reset = i18n.M("quota.total")
	} else {
		reset = i18n.M("quota.resets_at", i18n.S("at", ex.ResetAt.UTC().Format(time.RFC3339)))
	}
	hint := i18n.M("quota.exhausted.hint")
	if fit > 0 && !wc.est.NoOutput {
		hint = i18n.M("quota.fit.hint", i18n.S("cap", capName), i18n.N("fit", fit))
	}
	if ex.Spent+ex.Reserved < ex.Asked {
		// Little or nothing is used: waiting will not help, the call is
		// simply larger than the budget allows.
		return apierr.T(apierr.InsufficientQuota,
			i18n.M("quota.too_small", period, i18n.Sub("which", which), i18n.S("limit", usd(ex.Budget.Limit)), i18n.S("asked", usd(ex.Asked)),
				i18n.Sub("parts", parts), i18n.S("spent", usd(ex.Spent)), i18n.Sub("held", held), i18n.S("left", usd(left)),
				i18n.Sub("fit", fitMsg), i18n.Sub("reset", reset)),
			hint)
	}
	return apierr.T(apierr.InsufficientQuota,
		i18n.M("quota.used_up", period, i18n.Sub("which", which), i18n.S("limit", usd(ex.Budget.Limit)), i18n.S("spent", usd(ex.Spent)),
			i18n.Sub("held", held), i18n.S("left", usd(left)), i18n.S("asked", usd(ex.Asked)), i18n.Sub("parts", parts),
			i18n.Sub("fit", fitMsg), i18n.Sub("reset", reset)),
		hint)
}

// usd formats nano-USD with the digits that matter: cents from a dollar
// up, three significant digits below (so $0.00008 is not "$0.00").
func usd(n int64) string {
	v := ledger.ToUSD(n)
	if v == 0 {
		return "$0"
	}
	if math.Abs(v) >= 1 {
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	dec := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	s := strconv.FormatFloat(v, 'f', dec, 64)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return "$" + s
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
