// Package wire holds the JSON shapes of the admin API: what the server
// encodes (internal/admin) and what the CLI decodes (internal/cli), so the
// two cannot drift apart. Types only, no behaviour beyond formatting.
package wire
