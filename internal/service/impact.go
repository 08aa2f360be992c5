package service

// The impact report of a suspected leak: what key id did in a window,
// against its own history before it (new addresses, unusual spend).

import (
	"context"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// KeyImpact reads key id and reports what it did in [since, until).
func (s *Service) KeyImpact(ctx context.Context, id string, since, until time.Time) (*wire.ImpactReport, error) {
	k, err := s.Key(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Impact(ctx, k, since, until)
}

// Impact reports what k did in [since, until), against its history before
// since. view renders a key the way the transport shows it.
func (s *Service) Impact(ctx context.Context, k store.Key, since, until time.Time) (*wire.ImpactReport, error) {
	win, err := s.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: k.ID, Since: since, Until: until,
		Refused: refusedByState, RecentRefused: 50})
	if err != nil {
		return nil, Err(err)
	}
	base, err := s.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: k.ID, Until: since})
	if err != nil {
		return nil, Err(err)
	}
	rep := &wire.ImpactReport{KeyID: k.ID, Env: k.Env, Key: wire.ViewKey(k, s.now()), Since: since, Until: until, Requests: win.Requests,
		SpendUSD: round6(win.SpendUSD), RejectedAfterDisable: win.Refused,
		ByModel: []wire.ImpactModel{}, ByIP: []wire.ImpactIP{}, ByHour: []wire.ImpactHour{}, UserAgents: []wire.ImpactUA{},
		RejectedAttempts: []wire.ImpactAttempt{}, Anomalies: []wire.Anomaly{}}
	seenIP := make(map[string]bool, len(base.ByIP))
	for _, g := range base.ByIP {
		seenIP[g.Value] = true
	}
	for _, g := range win.ByModel {
		rep.ByModel = append(rep.ByModel, wire.ImpactModel{Model: g.Value, Requests: g.Requests, SpendUSD: round6(g.SpendUSD)})
	}
	for _, g := range win.ByIP {
		rep.ByIP = append(rep.ByIP, wire.ImpactIP{IP: g.Value, Requests: g.Requests, Rejected: g.Refused, FirstSeen: g.First,
			LastSeen: g.Last, New: !seenIP[g.Value]})
	}
	for _, g := range win.ByHour {
		rep.ByHour = append(rep.ByHour, wire.ImpactHour{Hour: g.Value, Requests: g.Requests, SpendUSD: round6(g.SpendUSD)})
	}
	for _, g := range win.UserAgents {
		rep.UserAgents = append(rep.UserAgents, wire.ImpactUA{UserAgent: g.Value, Requests: g.Requests})
	}
	for _, l := range win.RecentRefused {
		rep.RejectedAttempts = append(rep.RejectedAttempts, wire.ImpactAttempt{Time: l.Time, IP: l.SourceIP, UserAgent: l.UserAgent,
			Code: l.ErrorCode, RequestID: l.RequestID})
	}
	b := anomaly.BaselineOf(base, since)
	rep.Baseline = wire.ImpactBaseline{Requests: b.Requests, SpendUSD: round6(b.SpendUSD), RequestsPerHour: b.RequestsPerHour,
		SpendPerHour: b.SpendPerHour}
	if b.Requests > 0 {
		rep.Baseline.FirstSeen = &b.FirstSeen
	}
	rep.Anomalies = anomaly.Find(win, base, since, until)
	return rep, nil
}

func round6(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return f
}
