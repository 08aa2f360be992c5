package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/store/storetest"
	"github.com/keygate/keygate/internal/testgw"
)

func TestConformance(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			st, err := sqlstore.Open(context.Background(), db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			storetest.Run(t, st)
		})
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), "mysql://u:secret@h/db")
	if err == nil {
		t.Fatal("want an error for an unsupported scheme")
	}
	if got := err.Error(); contains(got, "secret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	for i := 0; i < 2; i++ {
		st, err := sqlstore.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		st.Close()
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:keygate.db":                          "sqlite:keygate.db",
		"keygate.db":                                 "keygate.db",
		"postgres://kg:s3cret@db/kg":                 "postgres://kg:xxxxx@db/kg",
		"postgres://kg:p@ss@db/kg":                   "postgres://kg:xxxxx@db/kg",
		"postgres://kg@db/kg?sslmode=disable":        "postgres://kg@db/kg?sslmode=disable",
		"postgresql://db/kg?password=s3cret&user=kg": "postgresql://db/kg?password=xxxxx&user=kg",
	} {
		if got := sqlstore.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// A migration numbered below ones already applied (helpers number theirs in
// parallel) is still applied to an existing database.
func TestOutOfOrderMigrationApplies(t *testing.T) {
	path := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	st, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", strings.TrimPrefix(path, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TABLE budget_holds`, `DELETE FROM goose_db_version WHERE version_id = 11`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err = sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen with 00011 missing below later migrations: %v", err)
	}
	defer st.Close()
	if _, err := db.Exec(`SELECT count(*) FROM budget_holds`); err != nil {
		t.Fatalf("00011 was not applied: %v", err)
	}
}
