package catalog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

type flakyStore struct {
	store.Store
	down atomic.Bool
}

func (f *flakyStore) KeysChangedSince(ctx context.Context, t time.Time) ([]store.Key, error) {
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	return f.Store.KeysChangedSince(ctx, t)
}

// While the store is unreachable StaleFor grows; once it is back it is 0.
func TestStaleForTracksFailingRefreshes(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &flakyStore{Store: st}
	c, err := New(ctx, fs, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.Run(runCtx)
	if c.StaleFor() != 0 {
		t.Fatal("fresh catalog reports staleness")
	}
	fs.down.Store(true)
	waitFor(t, func() bool { return c.StaleFor() > 20*time.Millisecond })
	fs.down.Store(false)
	waitFor(t, func() bool { return c.StaleFor() == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached within 5 s")
}
