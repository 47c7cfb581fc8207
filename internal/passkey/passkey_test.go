package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/passkey"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
)

func newService(t *testing.T) (*passkey.Service, *sqlstore.Store) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "rollcall.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := passkey.New("https://id.example.com", "Rollcall", st)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestNewNeedsAUsableURL(t *testing.T) {
	for _, u := range []string{"id.example.com", "ftp://id.example.com", "https://"} {
		if _, err := passkey.New(u, "Rollcall", nil); err == nil || !strings.Contains(err.Error(), "must be an absolute http:// or https:// URL") {
			t.Errorf("New(%q) = %v", u, err)
		}
	}
	if _, err := passkey.New("http://127.0.0.1:8080", "Rollcall", nil); err == nil || !strings.Contains(err.Error(), "not an IP address") {
		t.Errorf("an IP address as relying party: %v", err)
	}
	s, err := passkey.New("http://localhost:8080", "Rollcall", nil)
	if err != nil || s.RPID() != "localhost" {
		t.Fatalf("localhost: %v", err)
	}
}

// TestOptionsAskForDiscoverableVerifiedPasskeys checks what the browser is
// asked for, and that each ceremony is stored once and answered once.
func TestOptionsAskForDiscoverableVerifiedPasskeys(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.User{Username: "ada", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.BeginRegistration(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pk struct {
		RP   struct{ ID, Name string } `json:"rp"`
		User struct {
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		} `json:"user"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	}
	if err := json.Unmarshal(opts.PublicKey, &pk); err != nil {
		t.Fatal(err)
	}
	if pk.RP.ID != "id.example.com" || pk.User.Name != "ada" || pk.User.DisplayName != "Ada Lovelace" ||
		pk.AuthenticatorSelection.ResidentKey != "required" || pk.AuthenticatorSelection.UserVerification != "required" {
		t.Fatalf("creation options %s", opts.PublicKey)
	}

	// Answering a registration ceremony as a sign-in, or for another
	// user, or twice, is refused as an expired ceremony.
	if _, err := s.FinishSignIn(ctx, opts.Ceremony, []byte(`{}`), st.GetUser); !errors.Is(err, passkey.ErrCeremonyExpired) {
		t.Fatalf("registration answered as sign-in: %v", err)
	}
	if _, err := s.FinishRegistration(ctx, opts.Ceremony, u, []byte(`{}`)); !errors.Is(err, passkey.ErrCeremonyExpired) {
		t.Fatalf("ceremony answered twice: %v", err)
	}
	opts2, _ := s.BeginRegistration(ctx, u, nil)
	other := u
	other.ID = "00000000-0000-0000-0000-000000000001"
	if _, err := s.FinishRegistration(ctx, opts2.Ceremony, other, []byte(`{}`)); !errors.Is(err, passkey.ErrCeremonyExpired) {
		t.Fatalf("ceremony of another user: %v", err)
	}
	opts3, _ := s.BeginRegistration(ctx, u, nil)
	if _, err := s.FinishRegistration(ctx, opts3.Ceremony, u, []byte(`not json`)); err == nil || errors.Is(err, passkey.ErrCeremonyExpired) {
		t.Fatalf("garbage answer: %v", err)
	}

	signin, err := s.BeginSignIn(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		RPID             string `json:"rpId"`
		UserVerification string `json:"userVerification"`
		AllowCredentials []any  `json:"allowCredentials"`
	}
	if err := json.Unmarshal(signin.PublicKey, &req); err != nil {
		t.Fatal(err)
	}
	if signin.Mediation != "conditional" || req.RPID != "id.example.com" || req.UserVerification != "required" || len(req.AllowCredentials) != 0 {
		t.Fatalf("request options %s, mediation %q", signin.PublicKey, signin.Mediation)
	}
	var fail *passkey.Failure
	if _, err := s.FinishSignIn(ctx, signin.Ceremony, []byte(`{"id":"x"}`), st.GetUser); !errors.As(err, &fail) {
		t.Fatalf("a malformed assertion: %v, want a *Failure", err)
	}
}
