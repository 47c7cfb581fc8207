package sqlstore_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestSessionMigrationSQLite(t *testing.T) {
	testSessionMigration(t, "sqlite", sqliteDSN(t))
}

func TestSessionMigrationPostgres(t *testing.T) {
	testSessionMigration(t, "pgx", pgtest.NewDatabase(t))
}

// testSessionMigration checks 0004_session_details on a database whose
// sessions were made before it: they stay signed in, each gets its own id,
// and can then be listed and ended by that id like any other.
func testSessionMigration(t *testing.T, driver, dsn string) {
	ctx := context.Background()
	m := store.Meta{ActorName: "test"}
	now := time.Now().UTC().Truncate(time.Second)

	// A database with two sessions, taken back to the schema before 0004.
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com"}, m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("cred"), PublicKey: []byte("key"), Name: "Laptop"}, m)
	if err != nil {
		t.Fatal(err)
	}
	hashes := [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}
	for _, h := range hashes {
		se := store.Session{Hash: h, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}
		if err := s.RecordSignIn(ctx, store.SignIn{UserID: u.ID, PasskeyID: p.ID, Session: se, At: now}, m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DROP INDEX sessions_id_idx",
		"ALTER TABLE sessions DROP COLUMN id",
		"ALTER TABLE sessions DROP COLUMN user_agent",
		"ALTER TABLE sessions DROP COLUMN client_ip",
		"DELETE FROM schema_migrations WHERE version = 4",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	// Opening it again runs 0004.
	s2 := openDSN(t, dsn)
	auth := s2.(store.AuthStore)
	got, err := auth.ListSessions(ctx, u.ID, now)
	if err != nil {
		t.Fatalf("ListSessions after the migration: %v", err)
	}
	if len(got) != 2 || got[0].ID == "" || got[1].ID == "" || got[0].ID == got[1].ID || !strings.HasPrefix(got[0].ID, "old-") {
		t.Fatalf("sessions after the migration: %q and %q; want two distinct ids starting old-", got[0].ID, got[1].ID)
	}
	if got[0].UserAgent != "" || got[0].ClientIP != "" {
		t.Fatalf("an old session's device details: %q, %q; want none recorded", got[0].UserAgent, got[0].ClientIP)
	}
	if err := auth.DeleteUserSession(ctx, u.ID, got[0].ID, m); err != nil {
		t.Fatalf("ending an old session by its id: %v", err)
	}
	if left, _ := auth.ListSessions(ctx, u.ID, now); len(left) != 1 || left[0].ID != got[1].ID {
		t.Fatalf("sessions left: %+v", left)
	}
}
