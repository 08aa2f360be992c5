// Package alerts turns the ledger's budget threshold crossings (50, 80 and
// 100 % of a key's, member's or project's budget) into webhook events —
// once per budget, period window and threshold. Each alert is claimed in
// the store before it is sent, so a restart, a second instance or a spend
// that dips and crosses again never sends it twice.
//
// Wire it as the ledger's OnAlert and run it with the app's background
// context:
//
//	b := alerts.New(store, webhooks, log)
//	ledger.OnAlert = b.Handle
//	go b.Run(bg)
package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/webhook"
)

// EventType is the webhook event type of a budget alert.
const EventType = "budget.threshold"

// claimScope is the store's ClaimOnce scope of sent budget alerts.
const claimScope = "budget-alert"

// Claimer records that something was done once (store.Store has it).
type Claimer interface {
	ClaimOnce(ctx context.Context, scope, id, value string) (recorded string, claimed bool, err error)
}

// Notifier delivers webhook events (webhook.Sender has it).
type Notifier interface{ Notify(webhook.Event) }

// Budget sends budget alerts. Handle is called on the settle path, so it
// only queues; Run does the store write and the send.
type Budget struct {
	claims Claimer
	out    Notifier
	log    *slog.Logger
	queue  chan ledger.Alert
	// Now stamps events (default time.Now).
	Now func() time.Time
}

// New returns a sender of budget alerts.
func New(claims Claimer, out Notifier, log *slog.Logger) *Budget {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Budget{claims: claims, out: out, log: log, queue: make(chan ledger.Alert, 1024), Now: time.Now}
}

// Handle queues an alert without waiting; it is the ledger's OnAlert.
func (b *Budget) Handle(a ledger.Alert) {
	select {
	case b.queue <- a:
	default:
		b.log.Error("budget alert dropped: the alert queue is full", "scope", a.Budget.Scope, "subject", a.Budget.Subject, "percent", a.Percent)
	}
}

// Run sends queued alerts until ctx ends, then sends what is still queued
// (bounded by a short grace, so shutdown is never held up).
func (b *Budget) Run(ctx context.Context) {
	for {
		select {
		case a := <-b.queue:
			// An alert taken off the queue is sent even if ctx ends now.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			b.send(sctx, a)
			cancel()
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			for {
				select {
				case a := <-b.queue:
					b.send(drain, a)
				default:
					return
				}
			}
		}
	}
}

// ClaimID names one alert: budget, window and threshold.
func ClaimID(a ledger.Alert) string {
	return fmt.Sprintf("%s:%s:%s:%d:%d", a.Budget.Scope, a.Budget.Subject, a.Budget.Period, a.Window.Start, a.Percent)
}

// budgetOwner names whose budget it is, for people.
func budgetOwner(b ledger.Budget) string {
	if b.Scope == ledger.ScopeProjectTest {
		return "the test keys of project " + b.Subject
	}
	return b.Scope + " " + b.Subject
}

func (b *Budget) send(ctx context.Context, a ledger.Alert) {
	id := ids.New("evt")
	if _, claimed, err := b.claims.ClaimOnce(ctx, claimScope, ClaimID(a), id); err != nil {
		b.log.Error("budget alert not sent: cannot record it", "alert", ClaimID(a), "err", err)
		return
	} else if !claimed {
		return // already sent for this window
	}
	data := map[string]any{
		"scope":     a.Budget.Scope,   // key | member | project | project_test
		"subject":   a.Budget.Subject, // key id, member id or project name
		"period":    a.Budget.Period,
		"percent":   a.Percent,
		"limit_usd": ledger.ToUSD(a.Budget.Limit),
		"spent_usd": ledger.ToUSD(a.Spent),
		"message": fmt.Sprintf("The %s budget of %s has reached %d%%: $%.2f of $%.2f spent this period.",
			a.Budget.Period, budgetOwner(a.Budget), a.Percent, ledger.ToUSD(a.Spent), ledger.ToUSD(a.Budget.Limit)),
	}
	if a.Window.Start > 0 {
		data["period_start"] = time.UnixMilli(a.Window.Start).UTC()
	}
	if !a.ResetAt.IsZero() {
		data["resets_at"] = a.ResetAt.UTC()
	}
	if a.Percent >= 100 {
		data["hint"] = "Calls under this budget are refused with 429 insufficient_quota until it resets or is raised."
	}
	b.out.Notify(webhook.Event{ID: id, Type: EventType, Time: b.Now().UTC(), Data: data})
}
