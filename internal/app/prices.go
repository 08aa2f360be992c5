package app

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/pricing"
)

// checkPrices says loudly which served models have no price from the
// operator or the built-in catalogue: they are served at cost 0. With
// KEYGATE_REQUIRE_PRICES=true such a configuration is refused instead.
func checkPrices(s *catalog.Snapshot, require bool, log *slog.Logger) error {
	missing := s.Unpriced()
	if len(missing) == 0 {
		return nil
	}
	if require {
		return fmt.Errorf("KEYGATE_REQUIRE_PRICES=true and these models have no price (none declared, none in the built-in catalogue of %s): %s; "+
			"declare input_per_mtok/output_per_mtok for them in KEYGATE_CONFIG (models:) or through /admin/v1/models",
			pricing.Builtin().Date, strings.Join(missing, ", "))
	}
	log.Warn("models without a price are served at cost 0: their calls are not billed; declare their prices, or set KEYGATE_REQUIRE_PRICES=true to refuse such a configuration",
		"models", strings.Join(missing, ","), "price_catalogue", pricing.Builtin().Date)
	return nil
}
