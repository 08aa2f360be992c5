// Package scaletest holds the multi-instance integration tests: three
// gateways on one PostgreSQL schema and one Redis behave to clients like
// one — same keys, same limits, same budgets, revocation everywhere within
// a second — and keep serving, with documented fallbacks, when Redis dies.
package scaletest
