package wire

import (
	"time"
)

// MemberView is the admin API's JSON form of a member. Token is set once,
// when a token is issued; the password never leaves the gateway.
type MemberView struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	Role        string   `json:"role"`
	Projects    []string `json:"projects"`
	AllProjects bool     `json:"all_projects"`
	Disabled    bool     `json:"disabled"`
	HasPassword bool     `json:"has_password"`
	// Budget bounds the spend of all the member's keys together; SpentUSD
	// and BudgetResetsAt are the current period's (single-member reads).
	Budget         *BudgetView `json:"budget"`
	SpentUSD       *float64    `json:"spent_usd,omitempty"`
	BudgetResetsAt *time.Time  `json:"budget_resets_at,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Token          string      `json:"token,omitempty"`
}
