package wire

import (
	"time"
)

// ProjectView is the admin API's JSON form of a project. TestModels and
// TestBudget restrict the project's test keys (kg_test_): the models they
// may use ([] = what their group and scope allow) and one budget they share.
type ProjectView struct {
	Name       string      `json:"name"`
	Budget     *BudgetView `json:"budget"`
	TestModels []string    `json:"test_models"`
	TestBudget *BudgetView `json:"test_budget"`
	ManagedBy  string      `json:"managed_by"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// GroupView is the admin API's JSON form of a group.
type GroupView struct {
	Name            string   `json:"name"`
	Models          []string `json:"models"`
	PriceMultiplier float64  `json:"price_multiplier"`
	RPM             int      `json:"rpm"`
	TPM             int      `json:"tpm"`
	// Concurrency is the default cap on each key's calls in flight per
	// instance (0 = KEYGATE_KEY_CONCURRENCY).
	Concurrency int       `json:"concurrency"`
	ManagedBy   string    `json:"managed_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}
