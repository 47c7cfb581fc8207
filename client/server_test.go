package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestAgainstRealServer drives every client method against the real server
// on loopback.
func TestAgainstRealServer(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken), client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}

	me, err := c.Account(ctx)
	if err != nil || me.Attributes.Username != "bootstrap-admin" {
		t.Fatalf("Account = %+v, %v", me, err)
	}

	staff, err := c.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("staff"), FriendlyName: api.Some("Staff")}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	groups := []string{staff.ID}
	jane, err := c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("Jane"), Email: api.Some("jane@example.com"),
		FirstName: api.Some("Jane"), Title: api.Some("Engineer")}, &groups, "")
	if err != nil {
		t.Fatal(err)
	}
	if jane.Attributes.Username != "jane" || len(jane.GroupIDs()) != 1 {
		t.Errorf("created %+v", jane)
	}

	// Lookups by id, username and email; a miss is ErrNotFound.
	for name, get := range map[string]func() (*api.User, error){
		"Get":           func() (*api.User, error) { return c.Users.Get(ctx, jane.ID) },
		"GetByUsername": func() (*api.User, error) { return c.Users.GetByUsername(ctx, "JANE") },
		"GetByEmail":    func() (*api.User, error) { return c.Users.GetByEmail(ctx, "Jane@Example.com") },
	} {
		if u, err := get(); err != nil || u.ID != jane.ID {
			t.Errorf("%s = %v, %v", name, u, err)
		}
	}
	if _, err := c.Users.GetByUsername(ctx, "nobody"); !client.IsNotFound(err) {
		t.Errorf("GetByUsername(nobody) = %v, want not found", err)
	}
	if _, err := c.Users.Get(ctx, "0b9d6b5e-0000-4000-8000-00000000dead"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}

	// Update with If-Match; a stale ETag is refused.
	_, etag, err := c.Users.GetWithETag(ctx, jane.ID)
	if err != nil || etag == "" {
		t.Fatalf("GetWithETag: %q %v", etag, err)
	}
	u, err := c.Users.Update(ctx, jane.ID, api.UserWriteAttributes{Title: api.Null[string](), Department: api.Some("Platform")}, nil, etag)
	if err != nil || u.Attributes.Title != nil || *u.Attributes.Department != "Platform" || len(u.GroupIDs()) != 1 {
		t.Fatalf("Update = %+v, %v", u, err)
	}
	_, err = c.Users.Update(ctx, jane.ID, api.UserWriteAttributes{Title: api.Some("x")}, nil, etag)
	if !errors.Is(err, client.ErrPreconditionFailed) {
		t.Errorf("Update with a stale ETag = %v, want ErrPreconditionFailed", err)
	}
	_, err = c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some("jane2"), Email: api.Some("JANE@example.com")}, nil, "")
	if ae, ok := client.AsAPIError(err); !client.IsConflict(err) || !ok || ae.Code() != api.CodeEmailTaken || ae.Pointer() != "/data/attributes/email" {
		t.Errorf("duplicate email = %v", err)
	}

	// Paging: five pages of two users each are all read.
	for i := range 8 {
		if _, err := c.Users.Create(ctx, api.UserWriteAttributes{Username: api.Some(fmt.Sprintf("p%d", i)), Email: api.Some(fmt.Sprintf("p%d@example.com", i))}, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.Users.List(ctx, client.ListUsersOptions{PageSize: 2})
	if err != nil || len(all) != 10 {
		t.Errorf("List with pages of 2 read %d users (%v), want 10", len(all), err)
	}
	pages := 0
	for page, err := range c.Users.Pages(ctx, client.ListUsersOptions{Query: "p", PageSize: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) > 3 {
			t.Errorf("page of %d", len(page))
		}
	}
	if pages != 3 {
		t.Errorf("8 users in pages of 3 came in %d pages", pages)
	}

	// Memberships from both sides.
	p0, _ := c.Users.GetByUsername(ctx, "p0")
	p1, _ := c.Users.GetByUsername(ctx, "p1")
	if err := c.Groups.AddMembers(ctx, staff.ID, []string{p0.ID, p1.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.Users.RemoveUserGroups(ctx, jane.ID, []string{staff.ID}); err != nil {
		t.Fatal(err)
	}
	members, err := c.Groups.Members(ctx, staff.ID)
	if err != nil || len(members) != 2 {
		t.Errorf("Members = %d, %v; want p0 and p1", len(members), err)
	}
	if err := c.Groups.SetMembers(ctx, staff.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Users.AddUserGroups(ctx, jane.ID, []string{staff.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.Users.SetUserGroups(ctx, p0.ID, []string{staff.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.Groups.RemoveMembers(ctx, staff.ID, []string{p0.ID}); err != nil {
		t.Fatal(err)
	}
	g, err := c.Groups.GetByName(ctx, "STAFF")
	if err != nil || len(g.MemberIDs()) != 1 || g.MemberIDs()[0] != jane.ID {
		t.Errorf("GetByName = %+v, %v; want jane as the only member", g, err)
	}
	if _, err := c.Groups.GetByName(ctx, "nobody"); !client.IsNotFound(err) || err.Error() != `no group is named "nobody": rollcall: not found` {
		t.Errorf("GetByName(nobody) = %v, want not found", err)
	}

	// A user read with its groups (include=groups): by id, by username,
	// in a list (each group once however many pages name it) and as the
	// token's own user.
	p1Groups := []string{staff.ID}
	if _, err := c.Users.Update(ctx, p1.ID, api.UserWriteAttributes{}, &p1Groups, ""); err != nil {
		t.Fatal(err)
	}
	groupNames := func(gs []api.Group) string {
		var names []string
		for _, g := range gs {
			names = append(names, g.Attributes.Name)
		}
		return fmt.Sprint(names)
	}
	if u, gs, err := c.Users.GetWithGroups(ctx, jane.ID); err != nil || u.ID != jane.ID || groupNames(gs) != "[staff]" {
		t.Errorf("GetWithGroups = %v, %s, %v; want jane in staff", u, groupNames(gs), err)
	}
	if u, gs, err := c.Users.GetByUsernameWithGroups(ctx, "JANE"); err != nil || u.ID != jane.ID || groupNames(gs) != "[staff]" {
		t.Errorf("GetByUsernameWithGroups = %v, %s, %v; want jane in staff", u, groupNames(gs), err)
	}
	if _, _, err := c.Users.GetByUsernameWithGroups(ctx, "nobody"); !client.IsNotFound(err) {
		t.Errorf("GetByUsernameWithGroups(nobody) = %v, want not found", err)
	}
	if us, gs, err := c.Users.ListWithGroups(ctx, client.ListUsersOptions{PageSize: 1}); err != nil || len(us) != 10 || groupNames(gs) != "[staff]" {
		t.Errorf("ListWithGroups = %d users, groups %s, %v; want 10 users and staff once", len(us), groupNames(gs), err)
	}
	if me, gs, err := c.AccountWithGroups(ctx); err != nil || me.Attributes.Username != "bootstrap-admin" || len(gs) != 0 {
		t.Errorf("AccountWithGroups = %v, %s, %v; want bootstrap-admin in no group", me, groupNames(gs), err)
	}
	if err := c.Users.SetUserGroups(ctx, p1.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Groups.Update(ctx, staff.ID, api.GroupWriteAttributes{Name: api.Some("people")}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if gs, err := c.Groups.List(ctx, client.ListGroupsOptions{}); err != nil || len(gs) != 1 || gs[0].Attributes.Name != "people" {
		t.Errorf("Groups.List = %+v, %v", gs, err)
	}

	// Tokens.
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	tok, err := c.Tokens.Create(ctx, "ci", &exp, p1.ID)
	if err != nil || tok.Attributes.Token == "" {
		t.Fatalf("Tokens.Create = %+v, %v", tok, err)
	}
	other, _ := client.New(srv.URL, client.WithToken(tok.Attributes.Token))
	if who, err := other.Account(ctx); err != nil || who.ID != p1.ID {
		t.Errorf("the new token is %v, %v", who, err)
	}
	if ts, err := c.Tokens.List(ctx, client.ListTokensOptions{UserID: p1.ID}); err != nil || len(ts) != 1 || ts[0].Attributes.Token != "" {
		t.Errorf("Tokens.List = %+v, %v", ts, err)
	}
	if err := c.Tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Account(ctx); !client.IsUnauthorized(err) {
		t.Errorf("revoked token: %v, want unauthorized", err)
	}

	// Atomic operations: all or nothing, errors name the operation.
	_, err = c.Operations(ctx, []client.Operation{
		client.AddUser(api.UserWriteAttributes{Username: api.Some("ok"), Email: api.Some("ok@example.com")}, nil, ""),
		client.AddUser(api.UserWriteAttributes{Username: api.Some("bad"), Email: api.Some("nope")}, nil, ""),
	})
	ae, _ := client.AsAPIError(err)
	if ae == nil || client.OperationIndex(ae.Errors[0]) != 1 || ae.Code() != api.CodeInvalidEmail {
		t.Fatalf("Operations with a bad op = %v", err)
	}
	res, err := c.Operations(ctx, []client.Operation{
		client.AddUser(api.UserWriteAttributes{Username: api.Some("ok"), Email: api.Some("ok@example.com")}, nil, ""),
		client.ChangeMembers(api.OpAdd, staff.ID, []string{p1.ID}),
		client.UpdateUser(p0.ID, api.UserWriteAttributes{Title: api.Some("Boss")}, nil),
		client.RemoveUser(jane.ID),
	})
	if err != nil || len(res) != 4 {
		t.Fatalf("Operations = %v, %v", res, err)
	}
	var created api.User
	if err := json.Unmarshal(res[0].Data, &created); err != nil || created.Attributes.Username != "ok" {
		t.Errorf("result 0 = %s", res[0].Data)
	}
	if err := c.Users.Delete(ctx, p0.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Groups.Delete(ctx, staff.ID); err != nil {
		t.Fatal(err)
	}

	// The audit log saw it all, newest first, filtered and limited.
	evs, err := c.Audit.List(ctx, client.ListAuditOptions{Action: "user.", Since: time.Now().Add(-time.Hour), Limit: 3})
	if err != nil || len(evs) != 3 || evs[0].Attributes.Action != "user.delete" {
		t.Errorf("Audit.List = %+v, %v", evs, err)
	}
	evs, err = c.Audit.List(ctx, client.ListAuditOptions{Target: jane.ID})
	if err != nil || len(evs) < 3 {
		t.Errorf("Audit.List for jane = %d events, %v", len(evs), err)
	}
}

// TestGroupCustomClaims sets a group's custom claims through the client,
// reads them back, sees a reserved claim refused as an *APIError with its
// pointer, and clears them with null.
func TestGroupCustomClaims(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := client.New(srv.URL, client.WithToken(srv.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Groups.Create(ctx, api.GroupWriteAttributes{Name: api.Some("ops"),
		CustomClaims: api.Some(json.RawMessage(`{"role": "ops"}`))}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Groups.Get(ctx, g.ID); err != nil || string(got.Attributes.CustomClaims["role"]) != `"ops"` {
		t.Fatalf("read back %+v, %v", got, err)
	}
	_, err = c.Groups.Update(ctx, g.ID, api.GroupWriteAttributes{CustomClaims: api.Some(json.RawMessage(`{"aud":"x"}`))}, nil, "")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 422 || len(ae.Errors) != 1 || ae.Errors[0].Source == nil || ae.Errors[0].Source.Pointer != "/data/attributes/custom-claims/aud" {
		t.Fatalf("reserved claim: %v", err)
	}
	up, err := c.Groups.Update(ctx, g.ID, api.GroupWriteAttributes{CustomClaims: api.Null[json.RawMessage]()}, nil, "")
	if err != nil || len(up.Attributes.CustomClaims) != 0 {
		t.Fatalf("cleared: %+v, %v", up, err)
	}
}
