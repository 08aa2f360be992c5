// Package anomaly finds what an owner should look at first in a key's
// traffic: request or spend rates far above the key's own baseline, models
// and addresses it never used before, and calls made after it was refused.
//
// The rules (Find) are shared by the impact report (GET
// /admin/v1/keys/{id}/impact) and by Detector, the background job that
// sends them as key.anomaly webhooks. Both read SQL aggregates of the
// request log (store.AggregateKeyLogs); nothing here runs per request.
package anomaly

import (
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// Kinds of anomaly.
const (
	NoBaseline      = "no_baseline"
	RequestRate     = "request_rate"
	SpendRate       = "spend_rate"
	RequestBurst    = "request_burst"
	NewModel        = "new_model"
	NewIP           = "new_ip"
	UseAfterDisable = "use_after_disable"
)

// Thresholds of the rules: a rate counts as far above the baseline at
// Factor times it, and only with MinRequests calls, so a handful of calls
// on a quiet key is not an alarm.
const (
	Factor      = 5
	MinRequests = 20
)

// Anomaly is one finding.
type Anomaly struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Baseline is a key's own traffic before the window being judged.
type Baseline struct {
	Requests        int
	SpendUSD        float64
	FirstSeen       time.Time // zero without traffic
	RequestsPerHour float64
	SpendPerHour    float64
}

// BaselineOf turns the aggregate of the key's traffic before since into
// hourly rates (over at least one hour).
func BaselineOf(base store.LogAggregate, since time.Time) Baseline {
	b := Baseline{Requests: base.Requests, SpendUSD: base.SpendUSD}
	if base.Requests > 0 {
		b.FirstSeen = base.First
		hours := max(since.Sub(base.First).Hours(), 1)
		b.RequestsPerHour = float64(base.Requests) / hours
		b.SpendPerHour = base.SpendUSD / hours
	}
	return b
}

// Find judges win, the key's traffic in [since, until), against base, its
// traffic before since. Without a baseline only no_baseline (and
// use_after_disable) can be found: every address and model would be new.
func Find(win, base store.LogAggregate, since, until time.Time) []Anomaly {
	out := []Anomaly{}
	hours := max(until.Sub(since).Hours(), 1)
	rate := float64(win.Requests) / hours
	if base.Requests == 0 {
		if win.Requests > 0 {
			out = append(out, Anomaly{Kind: NoBaseline, Message: "The key has no traffic before the window's start, so rates cannot be compared; every address and model counts as new."})
		}
	} else {
		b := BaselineOf(base, since)
		if win.Requests >= MinRequests && rate >= Factor*b.RequestsPerHour {
			out = append(out, Anomaly{Kind: RequestRate, Message: fmt.Sprintf("%.1f requests/hour against a baseline of %.2f (×%.0f).", rate, b.RequestsPerHour, rate/b.RequestsPerHour)})
		}
		spend := win.SpendUSD / hours
		if win.SpendUSD > 0 && win.Requests >= MinRequests && spend >= Factor*b.SpendPerHour {
			out = append(out, Anomaly{Kind: SpendRate, Message: fmt.Sprintf("$%.4f/hour against a baseline of $%.4f/hour.", spend, b.SpendPerHour)})
		}
		for _, h := range win.ByHour {
			if h.Requests >= MinRequests && float64(h.Requests) >= Factor*b.RequestsPerHour {
				out = append(out, Anomaly{Kind: RequestBurst, Message: fmt.Sprintf("%d requests in the hour from %s against a baseline of %.2f/hour.", h.Requests, h.Value, b.RequestsPerHour)})
			}
		}
		seenModel, seenIP := map[string]bool{}, map[string]bool{}
		for _, g := range base.ByModel {
			seenModel[g.Value] = true
		}
		for _, g := range base.ByIP {
			seenIP[g.Value] = true
		}
		for _, g := range win.ByModel {
			if g.Value != "" && !seenModel[g.Value] {
				out = append(out, Anomaly{Kind: NewModel, Message: fmt.Sprintf("Model %q was used %d times and never before %s.", g.Value, g.Requests, stamp(since))})
			}
		}
		for _, g := range win.ByIP {
			if !seenIP[g.Value] {
				out = append(out, Anomaly{Kind: NewIP, Message: fmt.Sprintf("Address %s made %d calls (first %s) and never used the key before %s.", g.Value, g.Requests, stamp(g.First), stamp(since))})
			}
		}
	}
	if win.Refused > 0 && len(win.RecentRefused) > 0 {
		last := win.RecentRefused[0]
		out = append(out, Anomaly{Kind: UseAfterDisable, Message: fmt.Sprintf("%d calls were refused because of the key's state; the latest from %s at %s (%s).", win.Refused, last.SourceIP, stamp(last.Time), last.ErrorCode)})
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
