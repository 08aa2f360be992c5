// Package archtest holds the tests that keep keygate's house in order: the
// layering of its packages (cmd → cli → app → transports → service →
// domain → store/provider, no import running upward) and the rule that the
// admin transport reaches the store only through internal/service. It has
// no code of its own; docs/architecture.md is the map the tests enforce.
package archtest
