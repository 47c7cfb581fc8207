package client_test

import (
	"testing"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestSetupLinksListRevoke: SetupLinks shows the newest outstanding link
// (a new one revokes the older), RevokeSetupLink and RevokeSetupLinks
// revoke them; a link that is not outstanding is ErrNotFound.
func TestSetupLinksListRevoke(t *testing.T) {
	srv := testserver.Start(t)
	ctx := t.Context()
	u := srv.CreateUser(t, "alice", false)
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	old, err := c.Users.CreateSetupLink(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Users.CreateSetupLink(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Users.SetupLinks(ctx, u.ID)
	if err != nil || len(got) != 1 || got[0].ID != l.ID || got[0].Attributes.URL != "" {
		t.Fatalf("SetupLinks = %+v, %v; want the newer link %s without its URL", got, err, l.ID)
	}
	if err := c.Users.RevokeSetupLink(ctx, u.ID, old.ID); !client.IsNotFound(err) {
		t.Fatalf("RevokeSetupLink(replaced link) = %v, want not found", err)
	}
	if err := c.Users.RevokeSetupLink(ctx, u.ID, l.ID); err != nil {
		t.Fatalf("RevokeSetupLink: %v", err)
	}
	if _, err := c.Users.CreateSetupLink(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Users.RevokeSetupLinks(ctx, u.ID); err != nil {
		t.Fatalf("RevokeSetupLinks: %v", err)
	}
	if got, err := c.Users.SetupLinks(ctx, u.ID); err != nil || len(got) != 0 {
		t.Fatalf("SetupLinks after revoking all = %+v, %v", got, err)
	}
}
