package pgtest_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func query(t *testing.T, dsn, q string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func exec(t *testing.T, dsn, q string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestNewDatabaseIsFreshAndSeparate(t *testing.T) {
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share one URL %s", a)
	}
	if got := query(t, a, "SELECT current_setting('fsync')"); got != "off" {
		t.Errorf("shared server fsync = %s, want off", got)
	}
	if got := query(t, a, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"); got != "0" {
		t.Errorf("new database has %s tables, want 0", got)
	}
}

func TestClusterStopStartKeepsData(t *testing.T) {
	c := pgtest.NewCluster(t, pgtest.Options{Fsync: true})
	dsn := c.NewDatabase(t)
	if got := query(t, dsn, "SELECT current_setting('fsync')"); got != "on" {
		t.Errorf("fsync = %s, want on", got)
	}
	exec(t, dsn, "CREATE TABLE kept (v text)")
	exec(t, dsn, "INSERT INTO kept VALUES ('there')")
	if err := c.Crash(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, dsn, "SELECT v FROM kept"); got != "there" {
		t.Errorf("after crash and restart got %q, want there", got)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, dsn, "SELECT v FROM kept"); got != "there" {
		t.Errorf("after stop and start got %q, want there", got)
	}
}
