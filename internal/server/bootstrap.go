package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/token"
)

// BootstrapUsername is the admin service account that owns the token given
// in ROLLCALL_BOOTSTRAP_TOKEN.
const BootstrapUsername = "bootstrap-admin"

// AdminUsername is the service account `rollcall admin create-token` uses
// when no --user is given.
const AdminUsername = "rollcall-admin"

var systemMeta = store.Meta{ActorName: "system"}

// ErrBootstrapTokenRevoked is returned by EnsureBootstrapToken for a token
// that this database had from ROLLCALL_BOOTSTRAP_TOKEN before and that an
// admin has since revoked (or whose account was deleted). It is not made
// again: the revocation sticks while the variable stays set.
var ErrBootstrapTokenRevoked = errors.New("the token in ROLLCALL_BOOTSTRAP_TOKEN was revoked (or its account deleted) after an earlier start, so it is not created again and does not work; remove ROLLCALL_BOOTSTRAP_TOKEN from the server's environment, or set a new token in it")

// EnsureBootstrapToken makes sure tok is a token of the bootstrap admin
// service account, creating the account and the token as needed. Running
// it again (every server start, several instances) changes nothing. The
// database remembers each bootstrap token it was given (its hash), so a
// token that was revoked since is refused with ErrBootstrapTokenRevoked
// instead of coming back.
func EnsureBootstrapToken(ctx context.Context, st store.Store, tok string) error {
	if !token.WellFormed(tok) {
		return fmt.Errorf("ROLLCALL_BOOTSTRAP_TOKEN is not a Rollcall token: it must be %q followed by 43 letters and digits", token.Prefix)
	}
	hash := token.Hash(tok)
	auth, remembers := st.(store.AuthStore)
	if _, err := st.GetTokenByHash(ctx, hash); err == nil {
		if remembers {
			// Tokens stored before the database remembered them.
			if err := auth.RememberBootstrapToken(ctx, hash); err != nil {
				return fmt.Errorf("bootstrap token: %w", err)
			}
		}
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("bootstrap token: %w", err)
	}
	if remembers {
		known, err := auth.BootstrapTokenRemembered(ctx, hash)
		if err != nil {
			return fmt.Errorf("bootstrap token: %w", err)
		}
		if known {
			return ErrBootstrapTokenRevoked
		}
	}
	u, err := EnsureServiceAdmin(ctx, st, BootstrapUsername)
	if err != nil {
		return fmt.Errorf("bootstrap token: %w", err)
	}
	_, err = st.CreateToken(ctx, store.Token{
		ID: uuid.NewString(), UserID: u.ID, Name: "bootstrap (ROLLCALL_BOOTSTRAP_TOKEN)",
		Hash: token.Hash(tok), Prefix: token.DisplayPrefix(tok),
	}, systemMeta)
	if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict: another instance stored it first
		return fmt.Errorf("bootstrap token: %w", err)
	}
	// Remembered after the token exists, so that an instance starting at
	// the same moment never takes a token still being made for a revoked
	// one; a crash in between is mended by the next start's remembering.
	if remembers {
		if err := auth.RememberBootstrapToken(ctx, hash); err != nil {
			return fmt.Errorf("bootstrap token: %w", err)
		}
	}
	return nil
}

// EnsureServiceAdmin returns the user called username, creating it as an
// enabled admin service account when it does not exist.
func EnsureServiceAdmin(ctx context.Context, st store.Store, username string) (store.User, error) {
	u, err := st.GetUserByUsername(ctx, username)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	u, err = st.CreateUser(ctx, store.User{
		ID:             uuid.NewString(),
		Username:       username,
		Email:          username + "@rollcall.invalid",
		DisplayName:    strings.ReplaceAll(username, "-", " "),
		IsAdmin:        true,
		ServiceAccount: true,
		Attributes:     map[string]string{},
		GroupIDs:       []string{},
	}, systemMeta)
	if errors.Is(err, store.ErrConflict) {
		return st.GetUserByUsername(ctx, username)
	}
	return u, err
}

// CreateAdminToken makes a new token named name for the user username,
// creating that user as an admin service account if it does not exist. It
// returns the token, which is shown once and stored only hashed.
func CreateAdminToken(ctx context.Context, st store.Store, username, name string) (string, error) {
	u, err := EnsureServiceAdmin(ctx, st, username)
	if err != nil {
		return "", err
	}
	_, secret, err := newToken(ctx, st, systemMeta, u.ID, name, nil)
	return secret, err
}
