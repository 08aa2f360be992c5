package events

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testredis"
)

func TestDecode(t *testing.T) {
	ev, err := decode("42 ins_1 key key_abc")
	if err != nil || ev != (Event{Seq: 42, Instance: "ins_1", Kind: "key", ID: "key_abc"}) {
		t.Fatalf("%+v %v", ev, err)
	}
	for _, bad := range []string{"", "x ins key", "1 ins"} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

// roundTrip starts two nodes on bus constructors and checks that an event
// published by one is applied by the other, with increasing sequences.
func roundTrip(t *testing.T, mk func() Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan Event, 10)
	a := &Node{Bus: mk(), Instance: "ins_a"}
	b := &Node{Bus: mk(), Instance: "ins_b", Apply: func(_ context.Context, ev Event) error { got <- ev; return nil }}
	var wg sync.WaitGroup
	for _, n := range []*Node{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); n.Run(ctx) }()
	}
	defer wg.Wait()
	defer cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !a.Connected() || !b.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("nodes did not connect within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	a.Publish(ctx, KindKey, "key_1")
	a.Publish(ctx, KindCatalog, "group:default")
	var evs []Event
	for len(evs) < 2 {
		select {
		case ev := <-got:
			evs = append(evs, ev)
		case <-time.After(2 * time.Second):
			t.Fatalf("events not delivered within 2 s (got %v)", evs)
		}
	}
	t.Logf("%s: two events delivered in %v", a.Bus.Name(), time.Since(start))
	if evs[0].Kind != KindKey || evs[0].ID != "key_1" || evs[1].Seq <= evs[0].Seq {
		t.Fatalf("events %+v", evs)
	}
	deadline = time.Now().Add(time.Second)
	for b.LastSeq() != evs[1].Seq || a.LastSeq() != evs[1].Seq {
		if time.Now().After(deadline) {
			t.Fatalf("last seq a=%d b=%d, want %d", a.LastSeq(), b.LastSeq(), evs[1].Seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRedisBus(t *testing.T) {
	c := testredis.Client(t, 13)
	roundTrip(t, func() Bus { return NewRedis(c) })
}

// pgDSN returns a DSN on a fresh schema of KEYGATE_TEST_POSTGRES, or skips.
func pgDSN(t *testing.T) string {
	pg := os.Getenv("KEYGATE_TEST_POSTGRES")
	if pg == "" {
		t.Skip("KEYGATE_TEST_POSTGRES is not set: skipping the LISTEN/NOTIFY test")
	}
	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("kgevents_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at KEYGATE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE"); db.Close() })
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	return pg + sep + "search_path=" + schema
}

func newPostgres(t *testing.T, dsn string) *Postgres {
	b, err := NewPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestPostgresBus(t *testing.T) {
	dsn := pgDSN(t)
	roundTrip(t, func() Bus { return newPostgres(t, dsn) })
}

func newBoth(t *testing.T, c *redis.Client, dsn string) *Both {
	b := NewBoth(NewRedis(c), newPostgres(t, dsn))
	t.Cleanup(func() { b.stop(); b.sender.Wait() }) // newPostgres closes its part
	return b
}

// With both engines up, each event is delivered once: after two events,
// a third published on PostgreSQL alone arrives after PostgreSQL's copies
// of the first two (one connection delivers in order), and by then the
// subscriber has seen exactly three events.
func TestBothBusDeliversOnce(t *testing.T) {
	dsn := pgDSN(t)
	c := testredis.Client(t, 13)
	ctx, cancel := context.WithCancel(context.Background())
	pub, sub := newBoth(t, c, dsn), newBoth(t, c, dsn)
	got := make(chan Event, 10)
	up := make(chan bool, 10)
	done := make(chan struct{})
	go func() { defer close(done); sub.Run(ctx, func(ev Event) { got <- ev }, func(ok bool) { up <- ok }) }()
	defer func() { cancel(); <-done }()
	waitUp := func() {
		for {
			select {
			case ok := <-up:
				if ok {
					return
				}
			case <-time.After(5 * time.Second):
				t.Fatal("not connected within 5 s")
			}
		}
	}
	waitUp()
	// Both engines must listen before publishing: wait for the second
	// connection too (the aggregate reports the first only), by a round
	// trip on each engine alone.
	for _, bus := range []string{"redis", "postgres"} {
		deadline := time.Now().Add(5 * time.Second)
		for delivered := false; !delivered; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: subscriber not listening within 5 s", bus)
			}
			var err error
			if bus == "redis" { // unnumbered, as Both sends when PostgreSQL is down
				err = c.Publish(ctx, pub.Redis.channel, "0 "+encode("ins_probe", KindCatalog, "probe:redis")).Err()
			} else {
				_, err = pub.Postgres.Publish(ctx, "ins_probe", KindCatalog, "probe:postgres")
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-got:
				delivered = ev.ID == "probe:"+bus
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	for len(got) > 0 {
		<-got
	}
	var want []int64
	for _, id := range []string{"key_1", "key_2"} {
		n, err := pub.Publish(ctx, "ins_a", KindKey, id)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	last, err := pub.Postgres.Publish(ctx, "ins_a", KindKey, "last")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for {
		select {
		case ev := <-got:
			seqs = append(seqs, ev.Seq)
		case <-time.After(5 * time.Second):
			t.Fatalf("sequences %v: the last event did not arrive within 5 s", seqs)
		}
		if seqs[len(seqs)-1] == last {
			break
		}
	}
	if len(seqs) != 3 || !slices.Contains(seqs, want[0]) || !slices.Contains(seqs, want[1]) {
		t.Fatalf("delivered sequences %v, want %v then %d once each", seqs, want, last)
	}
}

func TestBothDedup(t *testing.T) {
	b := &Both{seen: map[Event]struct{}{}}
	ev := func(n int64) Event { return Event{Seq: n, Instance: "ins_a", Kind: KindKey, ID: "key_1"} }
	other := Event{Seq: 5, Instance: "ins_old", Kind: KindKey, ID: "key_9"} // numbered by Redis
	if !b.first(ev(5)) || b.first(ev(5)) || !b.first(other) || !b.first(ev(0)) || !b.first(ev(0)) || !b.first(ev(4)) {
		t.Fatal("first: an event must pass once, an unnumbered one always, another with the same number too")
	}
	for n := int64(6); n < 6+3*dedupWindow; n++ {
		b.first(ev(n))
	}
	if len(b.seen) > 2*dedupWindow+1 || b.first(ev(6+3*dedupWindow-1)) {
		t.Fatalf("window: %d remembered", len(b.seen))
	}
}

// With Redis unreachable, events still travel, over PostgreSQL, numbered.
func TestBothBusWithRedisDown(t *testing.T) {
	dsn := pgDSN(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := redis.NewClient(&redis.Options{Addr: dead, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	roundTrip(t, func() Bus { return newBoth(t, c, dsn) })
}

func TestLocalBusAppliesCatalogChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var applied []Event
	n := &Node{Bus: &Local{}, Instance: "ins_a", Apply: func(_ context.Context, ev Event) error {
		mu.Lock()
		applied = append(applied, ev)
		mu.Unlock()
		return nil
	}}
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for !n.Connected() {
		time.Sleep(time.Millisecond)
	}
	n.Publish(ctx, KindKey, "key_1")            // applied when made: not again
	n.Publish(ctx, KindCatalog, "project:demo") // reload here too
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != 1 || applied[0].Kind != KindCatalog || n.LastSeq() != 2 {
		t.Fatalf("applied %+v, last seq %d", applied, n.LastSeq())
	}
}
