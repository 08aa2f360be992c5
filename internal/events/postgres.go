package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Postgres is a bus on PostgreSQL LISTEN/NOTIFY, for several instances
// without Redis. The sequence lives in the gateway's schema; the channel is
// named after the schema, since notifications are database-wide.
type Postgres struct {
	dsn     string
	db      *sql.DB
	channel string
	// Keepalive is how long the listening connection may be silent before
	// it is pinged (default 300 ms); a ping unanswered within PingTimeout
	// (default 500 ms) means the connection died without closing (a
	// half-open TCP connection, a NAT or proxy that dropped it): it is
	// replaced and what it missed re-read, so revocation through
	// PostgreSQL stays within about a second.
	Keepalive, PingTimeout time.Duration
}

// NewPostgres connects the publishing side and creates the sequence.
func NewPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("change events on PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, `CREATE SEQUENCE IF NOT EXISTS keygate_event_seq`); err != nil {
		db.Close()
		return nil, fmt.Errorf("change events on PostgreSQL: create sequence: %w", err)
	}
	ch := "keygate_events"
	if u, err := url.Parse(dsn); err == nil {
		if sp := u.Query().Get("search_path"); sp != "" {
			ch += "_" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
					return r
				}
				return '_'
			}, strings.ToLower(strings.Split(sp, ",")[0]))
		}
	}
	return &Postgres{dsn: dsn, db: db, channel: ch}, nil
}

// Publish implements Bus: the notification is sent when the statement
// commits, with the next number of the sequence.
func (p *Postgres) Publish(ctx context.Context, instance, kind, id string) (int64, error) {
	var n int64
	err := p.db.QueryRowContext(ctx, `SELECT s.n FROM (SELECT nextval('keygate_event_seq') AS n) s, LATERAL (SELECT pg_notify($1, s.n::text || ' ' || $2)) x`,
		p.channel, encode(instance, kind, id)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("publish change event on PostgreSQL: %w", err)
	}
	return n, nil
}

// Run implements Bus on a dedicated connection.
func (p *Postgres) Run(ctx context.Context, fn func(Event), connected func(bool)) {
	idle, pingFor := p.Keepalive, p.PingTimeout
	if idle <= 0 {
		idle = 300 * time.Millisecond
	}
	if pingFor <= 0 {
		pingFor = 500 * time.Millisecond
	}
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, p.dsn)
		if err == nil {
			_, err = conn.Exec(cctx, "LISTEN "+p.channel)
			if err != nil {
				closeConn(conn)
			}
		}
		cancel()
		if err != nil {
			connected(false)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		connected(true)
		p.listen(ctx, conn, fn, idle, pingFor)
		closeConn(conn)
		connected(false)
		sleep(ctx, 200*time.Millisecond)
	}
}

// listen delivers notifications until the connection fails, ctx ends, or
// the connection, silent for idle, does not answer a ping within pingFor.
func (p *Postgres) listen(ctx context.Context, conn *pgx.Conn, fn func(Event), idle, pingFor time.Duration) {
	for {
		wctx, cancel := context.WithTimeout(ctx, idle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil {
			if ev, err := decode(n.Payload); err == nil {
				fn(ev)
			}
			continue
		}
		if ctx.Err() != nil || !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
			return
		}
		// Silent for idle: a live connection answers a ping at once.
		pctx, cancel := context.WithTimeout(ctx, pingFor)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return
		}
	}
}

// closeConn closes a listening connection without waiting on one that
// stopped answering.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = conn.Close(ctx)
}

// Name implements Bus.
func (p *Postgres) Name() string { return "postgres" }

// Close implements Bus.
func (p *Postgres) Close() error { return p.db.Close() }
