package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
)

// A served model with no price from the operator or the built-in catalogue
// is named in a start-up warning; with KEYGATE_REQUIRE_PRICES=true the
// configuration is refused, naming it. A catalogue model needs no price.
func TestUnpricedModelsAreSaidLoudly(t *testing.T) {
	dir := t.TempDir()
	yaml := filepath.Join(dir, "keygate.yaml")
	if err := os.WriteFile(yaml, []byte(`groups: [{name: default, models: ["*"]}]
channels:
  - {name: up, type: openai, base_url: "http://127.0.0.1:1/v1", models: [deepseek-chat, in-house-llm, priced-llm], groups: [default]}
models:
  - {name: priced-llm, input_per_mtok: 1, output_per_mtok: 2}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, require := range []bool{false, true} {
		cfg := config.Defaults()
		cfg.Database = "sqlite:" + filepath.Join(dir, "kg.db")
		cfg.ConfigFile = yaml
		cfg.RequirePrices = require
		var logs bytes.Buffer
		a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), io.Discard)
		if require {
			if err == nil || !strings.Contains(err.Error(), "in-house-llm") || strings.Contains(err.Error(), "deepseek-chat") ||
				strings.Contains(err.Error(), "priced-llm") {
				t.Fatalf("KEYGATE_REQUIRE_PRICES=true: err = %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		var warn string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "without a price") {
				warn = l
			}
		}
		if !strings.Contains(warn, "models=in-house-llm ") {
			t.Fatalf("no start-up warning naming exactly in-house-llm:\n%s", logs.String())
		}
	}
}

func TestRequirePricesFromEnv(t *testing.T) {
	c, err := config.Defaults().FromEnv(func(k string) string {
		if k == "KEYGATE_REQUIRE_PRICES" {
			return "true"
		}
		return ""
	})
	if err != nil || !c.RequirePrices {
		t.Fatalf("KEYGATE_REQUIRE_PRICES=true: %+v %v", c.RequirePrices, err)
	}
	if _, err := config.Defaults().FromEnv(func(k string) string {
		if k == "KEYGATE_REQUIRE_PRICES" {
			return "yes please"
		}
		return ""
	}); err == nil {
		t.Fatal("a bad KEYGATE_REQUIRE_PRICES was accepted")
	}
}
