package sqlstore_test

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

func TestSQLiteGetTokenAndOwner(t *testing.T) { testGetTokenAndOwner(t, openDSN(t, sqliteDSN(t))) }
func TestPostgresGetTokenAndOwner(t *testing.T) {
	testGetTokenAndOwner(t, openDSN(t, pgtest.NewDatabase(t)))
}

// testGetTokenAndOwner checks that authentication's one read returns the
// same token as GetTokenByHash and its user's name, admin and disabled
// flags, and nothing for an unknown hash or a deleted user's token.
func testGetTokenAndOwner(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, err := s.CreateUser(ctx, store.User{Username: "ops", Email: "ops@example.com", IsAdmin: true, Disabled: true}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("rc_owner"))
	exp := time.Now().Add(time.Hour)
	tok, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "ci", Hash: h[:], Prefix: "rc_own", ExpiresAt: &exp}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TouchTokens(ctx, map[string]time.Time{tok.ID: time.Now().UTC().Truncate(time.Microsecond)}); err != nil {
		t.Fatal(err)
	}
	want, err := s.GetTokenByHash(ctx, h[:])
	if err != nil {
		t.Fatal(err)
	}
	got, owner, err := s.GetTokenAndOwner(ctx, h[:])
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetTokenAndOwner token\n%+v, %v\nwant\n%+v", got, err, want)
	}
	if wantOwner := (store.TokenOwner{ID: u.ID, Username: "ops", IsAdmin: true, Disabled: true}); owner != wantOwner {
		t.Errorf("GetTokenAndOwner owner %+v, want %+v", owner, wantOwner)
	}
	other := sha256.Sum256([]byte("rc_other"))
	if _, _, err := s.GetTokenAndOwner(ctx, other[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: %v, want store.ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, u.ID, 0, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetTokenAndOwner(ctx, h[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of a deleted user: %v, want store.ErrNotFound", err)
	}
}

func TestSQLiteTokenRevokedElsewhere(t *testing.T) {
	dsn := sqliteDSN(t)
	testTokenRevokedElsewhere(t, openDSN(t, dsn), openDSN(t, dsn))
}
func TestPostgresTokenRevokedElsewhere(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	testTokenRevokedElsewhere(t, openDSN(t, dsn), openDSN(t, dsn))
}

// testTokenRevokedElsewhere: a token revoked through another Store on the
// same database (another server), whose writes this one's token cache
// cannot see, stops being accepted
// within the cache's bound of a second; a token created there is accepted
// at once.
func testTokenRevokedElsewhere(t *testing.T, here, there store.Store) {
	ctx := t.Context()
	u, err := there.CreateUser(ctx, store.User{Username: "ops", Email: "ops@example.com", IsAdmin: true}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("rc_elsewhere"))
	tok, err := there.CreateToken(ctx, store.Token{UserID: u.ID, Name: "ci", Hash: h[:], Prefix: "rc_els"}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := here.GetTokenAndOwner(ctx, h[:]); err != nil {
		t.Fatalf("token created through the other store: %v", err)
	}
	if err := there.DeleteToken(ctx, tok.ID, store.Meta{}); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for {
		_, _, err := here.GetTokenAndOwner(ctx, h[:])
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(revoked) > 2*time.Second {
			t.Fatal("a token revoked through another store was still accepted after 2s; the cache promises 1s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
