package events

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Postgres is a bus on PostgreSQL LISTEN/NOTIFY, for several instances
// without Redis. The sequence lives in the gateway's schema; the channel is
// named after the schema, since notifications are database-wide.
type Postgres struct {
	dsn     string
	db      *sql.DB
	channel string
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
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, p.dsn)
		if err != nil {
			connected(false)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		if _, err := conn.Exec(ctx, "LISTEN "+p.channel); err != nil {
			conn.Close(context.Background())
			connected(false)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		connected(true)
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			if ev, err := decode(n.Payload); err == nil {
				fn(ev)
			}
		}
		conn.Close(context.Background())
		connected(false)
		sleep(ctx, 200*time.Millisecond)
	}
}

// Name implements Bus.
func (p *Postgres) Name() string { return "postgres" }

// Close implements Bus.
func (p *Postgres) Close() error { return p.db.Close() }
