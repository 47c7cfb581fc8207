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
