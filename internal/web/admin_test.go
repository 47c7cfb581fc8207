package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/testserver"
)

// signInAdmin creates an admin person through the API and registers their
// passkey in the browser from a setup link; the browser is then signed in.
func signInAdmin(t *testing.T, srv *testserver.Server, admin *client.Client, b context.Context, username string) *api.User {
	t.Helper()
	u, err := admin.Users.Create(context.Background(), api.UserWriteAttributes{
		Username: api.Some(username), Email: api.Some(username + "@example.com"), IsAdmin: api.Some(true),
		FirstName: api.Some("Margaret"), LastName: api.Some("Hamilton"), Title: api.Some("Platform lead"), Department: api.Some("Infrastructure"),
	}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	visit(t, b, link.Attributes.URL)
	click(t, b, "#passkey-button", "/account")
	return u
}

// fill sets form fields by id and submits with the button sel.
func fill(t *testing.T, b context.Context, fields map[string]string, submit string) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS("#"+id), v))
	}
	step(t, b, "fill the form", steps...)
	click(t, b, submit, "")
}

// TestAdminConsole works through the admin console in the browser: user
// search and pages, create (with the API's validation messages), edit,
// disable, groups, setup link, revoking passkeys, delete, and the audit
// log; and a non-admin is kept out.
func TestAdminConsole(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	for i := range 55 {
		srv.CreateUser(t, fmt.Sprintf("user%02d", i), false)
	}
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	margaret := signInAdmin(t, srv, admin, b, "margaret")

	// Users: fifty a page, a cursor to the next, prefix search.
	visit(t, b, srv.URL+"/admin/users")
	waitText(t, b, "h1", "Users")
	rows := countRows(t, b)
	if rows != 50 {
		t.Fatalf("first page shows %d users, want 50", rows)
	}
	click(t, b, "a[rel=next]", "/admin/users")
	waitText(t, b, "table", "user54")
	if rows := countRows(t, b); rows != 7 { // 57 users: the bootstrap admin, margaret, 55 others
		t.Fatalf("second page shows %d users, want 7", rows)
	}
	step(t, b, "search", chromedp.SetValue(chromedp.CSS("#q"), "user1"))
	click(t, b, "form.search button", "")
	waitText(t, b, "table", "user19")
	if rows := countRows(t, b); rows != 10 {
		t.Fatalf("search user1 shows %d users, want 10:\n%s", rows, pageText(b))
	}

	// Create a user: a bad email is refused with the API's own words.
	visit(t, b, srv.URL+"/admin/users/new")
	fill(t, b, map[string]string{"f-username": "Katherine", "f-email": "katherine at example", "f-first-name": "Katherine"}, "main form button[type=submit]")
	waitText(t, b, "main", "The user was not created")
	want := api.ValidateEmail("katherine at example").Detail
	waitText(t, b, "#e-email", want)
	fill(t, b, map[string]string{"f-email": "katherine@example.com", "f-last-name": "Johnson"}, "main form button[type=submit]")
	waitText(t, b, "main", "User created. Setup link created")
	setupURL, err := chromedp.Run(b, chromedp.Value(chromedp.CSS("#setup-url")))
	if err != nil || !strings.HasPrefix(setupURL, srv.URL+"/setup/") {
		t.Fatalf("setup link shown: %q, %v", setupURL, err)
	}
	kj, err := admin.Users.GetByUsername(ctx, "katherine")
	if err != nil || kj.Attributes.Status != "pending-setup" {
		t.Fatalf("created user: %+v, %v", kj, err)
	}
	userPage := srv.URL + "/admin/users/" + kj.ID

	// Edit, then the username taken by someone else is refused.
	visit(t, b, userPage)
	fill(t, b, map[string]string{"f-title": "Mathematician"}, "#edit-h ~ form button[type=submit]")
	waitText(t, b, "main", "Changes saved.")
	if u, _ := admin.Users.Get(ctx, kj.ID); u.Attributes.Title == nil || *u.Attributes.Title != "Mathematician" {
		t.Fatalf("title after edit: %v", u.Attributes.Title)
	}
	fill(t, b, map[string]string{"f-username": "user01"}, "#edit-h ~ form button[type=submit]")
	waitText(t, b, "#e-username", `username "user01" is already taken`)

	// A change made elsewhere after the page was loaded is not overwritten.
	visit(t, b, userPage)
	if _, err := admin.Users.Update(ctx, kj.ID, api.UserWriteAttributes{Department: api.Some("Flight research")}, nil, ""); err != nil {
		t.Fatal(err)
	}
	fill(t, b, map[string]string{"f-title": "Engineer"}, "#edit-h ~ form button[type=submit]")
	waitText(t, b, "main", "Someone changed this record after you opened the page")
	if u, _ := admin.Users.Get(ctx, kj.ID); *u.Attributes.Title != "Mathematician" || *u.Attributes.Department != "Flight research" {
		t.Fatalf("a stale form overwrote a newer change: title %v department %v", *u.Attributes.Title, *u.Attributes.Department)
	}

	// Disable and enable.
	visit(t, b, userPage)
	click(t, b, "#disable-user", "")
	click(t, b, "#confirm-button", "")
	waitText(t, b, "main", "User disabled")
	if u, _ := admin.Users.Get(ctx, kj.ID); !u.Attributes.Disabled {
		t.Fatal("user is not disabled")
	}
	click(t, b, "form[action$='/enable'] button", "")
	waitText(t, b, "main", "User enabled.")

	// Groups: create, add members from both sides, remove one.
	visit(t, b, srv.URL+"/admin/groups")
	fill(t, b, map[string]string{"f-name": "Engineering", "f-friendly-name": "Engineering team"}, "#new-h ~ form button[type=submit]")
	waitText(t, b, "main", "Group created.")
	groupURL, _ := chromedp.Run(b, chromedp.Location())
	fill(t, b, map[string]string{"member-username": "katherine"}, "form[action$='/members'] button")
	waitText(t, b, ".members", "katherine")
	visit(t, b, userPage)
	waitText(t, b, ".chips", "engineering")
	visit(t, b, groupURL)
	fill(t, b, map[string]string{"member-username": "user07"}, "form[action$='/members'] button")
	waitText(t, b, ".members", "user07")
	click(t, b, ".members li:last-child button", "")
	waitNoText(t, b, ".members", "user07")
	g, err := admin.Groups.GetByName(ctx, "engineering")
	if err != nil || len(g.MemberIDs()) != 1 || g.MemberIDs()[0] != kj.ID {
		t.Fatalf("engineering members: %v, %v; want only katherine", g, err)
	}

	// Setup link and revoking passkeys for a user who has one.
	visit(t, b, srv.URL+"/admin/users/"+margaret.ID)
	click(t, b, "form[action$='/setup-link'] button", "")
	waitText(t, b, "#link-h", "Setup link")

	// Delete needs the username typed.
	visit(t, b, userPage)
	fill(t, b, map[string]string{"confirm-delete": "kat"}, "form[action$='/delete'] button")
	waitText(t, b, "main", `type the username "katherine"`)
	fill(t, b, map[string]string{"confirm-delete": "katherine"}, "form[action$='/delete'] button")
	waitPath(t, b, "/admin/users")
	waitText(t, b, "main", "User deleted.")
	if _, err := admin.Users.Get(ctx, kj.ID); !client.IsNotFound(err) {
		t.Fatalf("deleted user still there: %v", err)
	}

	// Audit log with a filter.
	visit(t, b, srv.URL+"/admin/audit?action=user.")
	waitText(t, b, "table", "user.delete")
	page := pageText(b)
	if strings.Contains(page, "group.create") || !strings.Contains(page, "margaret") {
		t.Fatalf("audit filtered by user. shows:\n%s", page)
	}
	visit(t, b, srv.URL+"/admin/audit?actor=margaret&action=group.")
	waitText(t, b, "table", "group.create")
	visit(t, b, srv.URL+"/admin/audit?target=engineering")
	waitText(t, b, "table", "group.members")
	if strings.Contains(pageText(b), "user.create") {
		t.Fatalf("audit for target engineering lists user events:\n%s", pageText(b))
	}

	// Revoke margaret's own passkeys last: her session ends with them.
	visit(t, b, srv.URL+"/admin/users/"+margaret.ID)
	click(t, b, "#revoke-passkeys", "")
	click(t, b, "#confirm-button", "")
	waitPath(t, b, "/signin")
	if n := countPasskeys(t, srv, margaret.ID); n != 0 {
		t.Fatalf("%d passkeys left after revoking", n)
	}
}

// TestNonAdminIsKeptOut signs a person without admin rights in and checks
// the admin console refuses them with a page that says why.
func TestNonAdminIsKeptOut(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	u := createUser(t, admin, "alan", "Alan", "Turing")
	link, err := admin.Users.CreateSetupLink(context.Background(), u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	visit(t, b, link.Attributes.URL)
	click(t, b, "#passkey-button", "/account")
	if strings.Contains(pageText(b), "Users") {
		t.Fatalf("a non-admin sees the admin navigation:\n%s", pageText(b))
	}
	for _, path := range []string{"/admin/users", "/admin/groups", "/admin/audit", "/admin/users/" + u.ID,
		"/admin/users/suggest?q=a", "/admin/users/" + u.ID + "/disable", "/admin/users/" + u.ID + "/revoke-passkeys"} {
		visit(t, b, srv.URL+path)
		waitText(t, b, "main", "Administrators only")
	}
	if a := auditActions(t, srv.Store, u.ID); a["user.update"] != 0 {
		t.Fatalf("audit %v", a)
	}
}

func countRows(t *testing.T, b context.Context) int {
	t.Helper()
	n, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("table tbody tr:not(:has(td.empty))").length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
