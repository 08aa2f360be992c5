// Package migrations embeds the versioned SQL migrations of each store
// dialect; they are applied at start by goose.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// SQLite returns the SQLite migrations.
func SQLite() fs.FS { sub, _ := fs.Sub(files, "sqlite"); return sub }

// Postgres returns the PostgreSQL migrations.
func Postgres() fs.FS { sub, _ := fs.Sub(files, "postgres"); return sub }
