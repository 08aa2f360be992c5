package events

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestPostgresBus(t *testing.T) {
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
	dsn := pg + sep + "search_path=" + schema
	roundTrip(t, func() Bus {
		b, err := NewPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
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
