// Package app is the one wiring point: configuration in, a running gateway
// out. It opens the store, applies the declarative config, builds the caches,
// the relay and the HTTP server, and shuts them down in order.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/leak"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/logwriter"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/secretbox"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/ui"
	"github.com/keygate/keygate/internal/webhook"
)

// App is a configured gateway.
type App struct {
	Config  config.Config
	Store   store.Store
	Catalog *catalog.Catalog
	Logs    *logwriter.Writer
	Server  *httpapi.Server
	// Admin serves the admin API, mounted on Server's router.
	Admin *admin.Server
	UI    *ui.Server // the web dashboard under /ui/
	// Service makes every state change the admin API asks for.
	Service *service.Service
	log     *slog.Logger
	http    *http.Server
	ln      net.Listener
	stop    context.CancelFunc
	bgDone  chan struct{}
	// retentionDone closes when the log retention job has stopped.
	retentionDone chan struct{}
	// Webhooks delivers security notifications (nil without KEYGATE_WEBHOOK_URL).
	Webhooks *webhook.Sender
	// Anomalies sends key.anomaly webhooks (nil without KEYGATE_WEBHOOK_URL).
	Anomalies     *anomaly.Detector
	anomaliesDone chan struct{}
	noticesDone   chan struct{}
	// followUpsDone closes when the incident review and rotation
	// follow-up loop has stopped.
	followUpsDone chan struct{}
	// Banner receives the one-time owner token on a fresh database.
	Banner   io.Writer
	jobsDone chan struct{} // closes when the video job engine has stopped
	// demoStop stops the built-in mock upstream of the demo setup.
	demoStop context.CancelFunc
	demoDone chan struct{}
	// Ledger holds budgets (scale.go).
	Ledger *ledger.Ledger
	scale  scale
}

// New builds the gateway from cfg. Nothing listens until Start.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, banner io.Writer) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{Config: cfg, log: log, Banner: banner}
	st, err := sqlstore.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	a.Store = st
	defer func() {
		if err != nil {
			if a.demoStop != nil {
				a.demoStop()
				<-a.demoDone
			}
			st.Close()
		}
	}()
	box, err := a.secretBox()
	if err != nil {
		return nil, err
	}
	var clampGroups map[string]bool
	if cfg.ConfigFile != "" {
		f, err := config.LoadFile(cfg.ConfigFile)
		if err != nil {
			return nil, err
		}
		clampGroups = f.BudgetClampGroups()
		if err := Apply(ctx, st, box, f, ManagedByConfig); err != nil {
			return nil, fmt.Errorf("apply %s: %w", cfg.ConfigFile, err)
		}
		if err := disableDemoChannels(ctx, st); err != nil {
			return nil, err
		}
	} else if err := a.startDemo(ctx, box); err != nil {
		return nil, err
	}
	if err := a.bootstrapOwner(ctx); err != nil {
		return nil, err
	}
	cat, err := catalog.New(ctx, st, box, log, cfg.RefreshInterval)
	if err != nil {
		return nil, err
	}
	a.Catalog = cat
	if err := checkPrices(cat.Snapshot(), cfg.RequirePrices, log); err != nil {
		return nil, err
	}
	if path := cfg.LogSpoolPath(); path != "" {
		if a.Logs, err = logwriter.NewSpooled(ctx, st, log, cfg.LogQueueSize, path); err != nil {
			return nil, err
		}
	} else {
		a.Logs = logwriter.New(st, log, cfg.LogQueueSize)
	}
	m := metrics.New(func() float64 { return float64(a.Logs.Depth()) }, func() float64 { return float64(a.Logs.Written()) },
		func() float64 { return float64(a.Logs.Backpressure()) })
	m.WatchLogDrops(func() float64 { return float64(a.Logs.Dropped()) })
	// No http.Client.Timeout: it would cut long streams and costs a timer and
	// a context per call. An upstream must start answering within
	// UpstreamTimeout; after that, per-channel idle_timeout bounds silence
	// and the client's own cancellation ends the call.
	tr := relay.NewTransport()
	if cfg.UpstreamTimeout > 0 {
		tr.ResponseHeaderTimeout = cfg.UpstreamTimeout
	}
	client := relay.NewClient(tr) // never follows upstream redirects
	cors, err := httpapi.ParseCORSOrigins(cfg.CORSOrigins)
	if err != nil {
		return nil, fmt.Errorf("KEYGATE_CORS_ORIGINS: %w", err)
	}
	a.Server = &httpapi.Server{CORSOrigins: cors, Now: time.Now, Store: st, Catalog: cat, Logs: a.Logs, Metrics: m, Box: box, Log: log,
		Relay: &relay.Relay{Client: client, Metrics: m, Log: log, Cooldown: 30 * time.Second}, TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxKeyStaleness: cfg.KeyCacheMaxStale, BudgetClampGroups: clampGroups}
	a.Admin = &admin.Server{Now: time.Now, Store: st, Catalog: cat, Log: log, TrustedProxies: cfg.TrustedProxies, Box: box,
		UpstreamHTTP: a.Server.Relay.Client}
	// The services read the admin clock, so a test's clock reaches them too.
	a.Service = &service.Service{Store: st, Catalog: cat, Now: func() time.Time { return a.Admin.Now() }, Log: log}
	a.Admin.Svc = a.Service
	// The dashboard (/ui/) serves every read and change through the admin routes.
	a.UI = &ui.Server{Store: st, Admin: a.Admin, Log: log, TrustedProxies: cfg.TrustedProxies, Now: func() time.Time { return a.Admin.Now() }}
	a.Server.Mounts = []httpapi.Mount{a.Admin, a.UI}
	a.Server.Relay.OnChannelDisabled = a.Admin.ChannelDisabled
	if cfg.AdminToken != "" {
		a.Admin.AdminTokenHash = keys.Hash(cfg.AdminToken)
	}
	if err := a.wireLeakResponse(); err != nil {
		return nil, err
	}
	if err := a.wireScale(ctx, st); err != nil {
		return nil, err
	}
	if err := a.wireJobs(client); err != nil { // jobs.go
		return nil, err
	}
	return a, nil
}

// wireLeakResponse loads the trusted signers of secret-scanning reports and
// starts the webhook sender; undelivered webhooks land in the audit log.
func (a *App) wireLeakResponse() error {
	if a.Config.ScanningKeys != "" {
		ks, err := leak.LoadFile(a.Config.ScanningKeys)
		if err != nil {
			return err
		}
		a.Admin.LeakKeys = ks
		a.log.Info("accepting secret-scanning reports at /security/v1/leaked-keys", "trusted_keys", ks.Len())
	}
	if a.Config.WebhookURL != "" {
		srv := a.Admin
		a.Webhooks = webhook.New(webhook.Options{URL: a.Config.WebhookURL, Secret: a.Config.WebhookSecret,
			OnFailure: srv.WebhookFailed, Log: a.log})
		srv.Webhooks, a.Service.Webhooks = a.Webhooks, a.Webhooks
	}
	return nil
}

// secretBox returns the sealer for upstream credentials. Without
// KEYGATE_SECRET_KEY an SQLite deployment keeps a generated key in a file
// beside the database (mode 0600); PostgreSQL deployments must set it, since
// every instance needs the same key.
func (a *App) secretBox() (*secretbox.Box, error) {
	if a.Config.SecretKey != "" {
		return secretbox.New(a.Config.SecretKey)
	}
	db := a.Config.Database
	if strings.HasPrefix(db, "postgres") {
		a.log.Warn("KEYGATE_SECRET_KEY is not set: channel credentials cannot be stored in the database; use api_key_env for channels")
		return nil, nil
	}
	path := strings.TrimPrefix(db, "sqlite:") + ".secret"
	if b, err := os.ReadFile(path); err == nil {
		return secretbox.New(strings.TrimSpace(string(b)))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("KEYGATE_SECRET_KEY is not set and %s could not be written: %w", path, err)
	}
	a.log.Info("generated a secret key for channel credentials; keep it with the database or set KEYGATE_SECRET_KEY", "file", path)
	return secretbox.New(secret)
}

// bootstrapOwner creates the first owner on a fresh database when no
// KEYGATE_ADMIN_TOKEN is set, printing its token exactly once.
func (a *App) bootstrapOwner(ctx context.Context) error {
	if a.Config.AdminToken != "" {
		return nil
	}
	n, err := a.Store.CountMembers(ctx)
	if err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	if n > 0 {
		return nil
	}
	tok, err := keys.Generate(keys.PrefixPAT)
	if err != nil {
		return err
	}
	m := store.Member{ID: ids.New("mem"), Email: "owner@localhost", Role: "owner", TokenHash: keys.HashHex(tok), CreatedAt: time.Now().UTC()}
	if err := a.Store.CreateMember(ctx, m); err != nil {
		return err
	}
	if a.Banner != nil {
		fmt.Fprintf(a.Banner, "\nkeygate: created the owner account. Its admin token is shown ONCE — store it now:\n\n    export KEYGATE_ADMIN_TOKEN=%s\n\n", tok)
	}
	return nil
}

// Start listens on cfg.Listen (port 0 picks a free port) and serves in the
// background.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (KEYGATE_LISTEN): %w", a.Config.Listen, err)
	}
	a.ln = ln
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	a.bgDone = make(chan struct{})
	go func() { defer close(a.bgDone); a.Catalog.Run(bg) }()
	if err := a.startPprof(bg); err != nil {
		stop()
		<-a.bgDone
		ln.Close()
		return err
	}
	a.startScale(bg)
	if a.Webhooks != nil {
		a.noticesDone = make(chan struct{})
		go func() { defer close(a.noticesDone); a.Service.RunNotices(bg, time.Hour) }()
		a.followUpsDone = make(chan struct{})
		go func() { defer close(a.followUpsDone); a.Service.RunFollowUps(bg, time.Minute) }()
		a.Anomalies = &anomaly.Detector{Store: a.Store, Out: a.Webhooks, Log: a.log, Now: a.Server.Now}
		a.anomaliesDone = make(chan struct{})
		go func() { defer close(a.anomaliesDone); a.Anomalies.Run(bg) }()
	}
	a.startRetention(bg)
	a.startJobs(bg)
	a.http = &http.Server{Handler: httpapi.GuardBodies(a.Server.Handler(), httpapi.BodyRate{}), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("server stopped", "err", err)
		}
	}()
	a.log.Info("keygate listening", "addr", ln.Addr().String(), "base_url", "http://"+ln.Addr().String()+"/v1",
		"database", sqlstore.RedactDSN(a.Config.Database))
	return nil
}

// Addr is the address the server listens on.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Run starts the server and blocks until ctx is cancelled, then shuts down.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return a.Close()
}

// Close stops accepting, lets in-flight requests and streams finish up to
// the shutdown timeout, flushes the request logs, and closes the store.
func (a *App) Close() error {
	var errs []error
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		if err := a.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
		cancel()
	}
	if a.stop != nil {
		a.stop()
		<-a.bgDone
		a.closeScale()
		if a.noticesDone != nil {
			<-a.noticesDone
		}
		if a.followUpsDone != nil {
			<-a.followUpsDone
		}
		if a.anomaliesDone != nil {
			<-a.anomaliesDone
		}
	}
	if a.retentionDone != nil {
		<-a.retentionDone // stopped with the background context above
	}
	if a.jobsDone != nil {
		<-a.jobsDone
	}
	if a.Admin != nil {
		// No request or job is left to start more: a channel the relay
		// disabled is stored, audited and announced before the store and
		// the webhooks close.
		a.Admin.Wait()
	}
	if a.Webhooks != nil {
		// Bounded: a dead receiver must not hold up shutdown; what is left
		// is recorded as undelivered in the audit log.
		ctx, cancel := context.WithTimeout(context.Background(), min(a.Config.ShutdownTimeout, 10*time.Second))
		_ = a.Webhooks.Close(ctx)
		cancel()
	}
	if a.Logs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		if err := a.Logs.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush request logs: %w", err))
		}
		cancel()
	}
	if a.demoStop != nil {
		a.demoStop()
		<-a.demoDone
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}
