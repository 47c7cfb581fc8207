package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestFilterNamingNothingIsNotFound: a list filter that names a group or
// user that does not exist is ErrNotFound, not an empty list.
func TestFilterNamingNothingIsNotFound(t *testing.T) {
	srv := testserver.Start(t)
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken), client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Users.List(ctx, client.ListUsersOptions{Group: "nosuch"}); !client.IsNotFound(err) {
		t.Errorf("Users.List of group nosuch: %v, want ErrNotFound", err)
	}
	if _, err := c.Tokens.List(ctx, client.ListTokensOptions{UserID: "00000000-0000-4000-8000-000000000000"}); !client.IsNotFound(err) {
		t.Errorf("Tokens.List of a user that does not exist: %v, want ErrNotFound", err)
	}
	if ts, err := c.Tokens.List(ctx, client.ListTokensOptions{UserID: "bootstrap-admin"}); err != nil || len(ts) != 1 {
		t.Errorf("Tokens.List by username: %d tokens, %v", len(ts), err)
	}
}
