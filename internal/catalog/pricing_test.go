package catalog

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/pricing"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// A model a channel serves with no declared price takes the built-in
// catalogue's; once the operator declares a price, that one is used; a model
// neither knows is unpriced and named.
func TestCataloguePriceUsedThenOverridden(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertChannel(ctx, store.Channel{Name: "ds", Type: "openai", BaseURL: "http://127.0.0.1:1/v1",
		Models: []string{"deepseek-chat", "in-house-llm"}, Enabled: true, Weight: 1}); err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := pricing.Builtin().Lookup("deepseek-chat")
	if !ok {
		t.Fatal("deepseek-chat is not in the built-in catalogue")
	}
	m, _ := c.Snapshot().Model("deepseek-chat")
	if !m.Priced || m.InputPerMTok != want.InputPerMTok || m.OutputPerMTok != want.OutputPerMTok ||
		m.CachedInputPerMTok != want.CachedInputPerMTok || want.CachedInputPerMTok == 0 ||
		m.PriceSource != "catalogue "+pricing.Builtin().Date {
		t.Fatalf("catalogue price not used: %+v", m)
	}
	if got := c.Snapshot().Unpriced(); !slices.Equal(got, []string{"in-house-llm"}) {
		t.Fatalf("Unpriced = %v, want [in-house-llm]", got)
	}

	if err := st.UpsertModel(ctx, store.Model{Name: "deepseek-chat", InputPerMTok: 0.1, OutputPerMTok: 0.2}); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ = c.Snapshot().Model("deepseek-chat")
	// The operator's prices are taken whole: the catalogue's cache-hit
	// price does not leak into a model whose operator declared none.
	if m.InputPerMTok != 0.1 || m.OutputPerMTok != 0.2 || m.CachedInputPerMTok != 0 || m.PriceSource != PriceOperator {
		t.Fatalf("operator price not used: %+v", m)
	}
}
