package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestSetMembersIfMatch: a read-modify-write of a group's members (and a
// user's groups) with the ETag of the read fails with a precondition error
// when someone else changed the set in between, and keeps their change.
func TestSetMembersIfMatch(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken), client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ann, err := c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("ann"), Email: api.Some("ann@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("bob"), Email: api.Some("bob@example.com")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("ops")}, &[]string{ann.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	read, etag, err := c.Groups.GetWithETag(ctx, g.ID)
	if err != nil || etag == "" {
		t.Fatalf("GetWithETag: %q, %v", etag, err)
	}
	if err := c.Groups.AddMembers(ctx, g.ID, []string{bob.ID}); err != nil { // someone else
		t.Fatal(err)
	}
	_, err = c.Groups.SetMembersIfMatch(ctx, g.ID, read.MemberIDs(), etag)
	if !client.IsPreconditionFailed(err) {
		t.Fatalf("stale SetMembersIfMatch: %v, want a precondition failure", err)
	}
	now, etag, err := c.Groups.GetWithETag(ctx, g.ID)
	if err != nil || !slices.Contains(now.MemberIDs(), bob.ID) {
		t.Fatalf("bob was dropped: %v, %v", now.MemberIDs(), err)
	}
	next, err := c.Groups.SetMembersIfMatch(ctx, g.ID, []string{bob.ID}, etag)
	if err != nil || next == "" || next == etag {
		t.Fatalf("SetMembersIfMatch with the current ETag: new ETag %q (was %q), %v", next, etag, err)
	}

	u, uetag, err := c.Users.GetWithETag(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Groups.AddMembers(ctx, g.ID, []string{ann.ID}); err != nil { // from the other side
		t.Fatal(err)
	}
	if _, err := c.Users.SetUserGroupsIfMatch(ctx, ann.ID, u.GroupIDs(), uetag); !client.IsPreconditionFailed(err) {
		t.Fatalf("stale SetUserGroupsIfMatch: %v, want a precondition failure", err)
	}
	_, uetag, _ = c.Users.GetWithETag(ctx, ann.ID)
	if _, err := c.Users.SetUserGroupsIfMatch(ctx, ann.ID, nil, uetag); err != nil {
		t.Fatalf("SetUserGroupsIfMatch with the current ETag: %v", err)
	}
}
