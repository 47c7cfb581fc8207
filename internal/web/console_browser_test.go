package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/web"
)

// location is the browser's current path and query.
func location(t *testing.T, b context.Context) string {
	t.Helper()
	s, err := chromedp.Run(b, chromedp.Evaluate[string](`location.pathname + location.search`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reload reloads the page as a person pressing F5 would, and waits for it.
func reload(t *testing.T, b context.Context) {
	t.Helper()
	step(t, b, "reload", chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("main")))
}

// TestConsolePostRedirectGet checks that a form's result is a page of its
// own: after "Create user" the browser is on the new user's page (not on
// the POST's /admin/users), the setup link is shown once, and a reload
// neither creates the user again ("email already used") nor shows the link
// again. The last-passkey confirmation of the account page is a GET page
// too.
func TestConsolePostRedirectGet(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	margaret := signInAdmin(t, srv, admin, b, "margaret")

	// A refused form comes back as a page too, with what was typed.
	visit(t, b, srv.URL+"/admin/users/new")
	fill(t, b, map[string]string{"f-username": "grace", "f-email": "grace at example", "f-first-name": "Grace"}, "main form button[type=submit]")
	waitText(t, b, "main", "The user was not created")
	waitText(t, b, "#e-email", "is not a valid address")
	if got := location(t, b); got != "/admin/users/new" {
		t.Fatalf("after a refused Create user the browser is at %s, want /admin/users/new", got)
	}
	if v, _ := chromedp.Run(b, chromedp.Value(chromedp.CSS("#f-first-name"))); v != "Grace" {
		t.Fatalf("the refused form lost what was typed: first name %q", v)
	}
	fill(t, b, map[string]string{"f-email": "grace@example.com"}, "main form button[type=submit]")
	waitText(t, b, "main", "User created. Setup link created")
	grace, err := admin.Users.GetByUsername(context.Background(), "grace")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := location(t, b), "/admin/users/"+grace.ID; got != want {
		t.Fatalf("after Create user the browser is at %s, want the new user's page %s", got, want)
	}
	if v, _ := chromedp.Run(b, chromedp.Value(chromedp.CSS("#setup-url"))); !strings.HasPrefix(v, srv.URL+"/setup/") {
		t.Fatalf("the setup link is not shown after creating the user: %q", v)
	}
	reload(t, b)
	page := pageText(b)
	if strings.Contains(page, "already used") || strings.Contains(page, "not created") || strings.Contains(page, "/setup/") ||
		strings.Contains(page, "Setup link created") {
		t.Fatalf("a reload after Create user repeats the form or the once-only link:\n%s", page)
	}
	if !strings.Contains(page, "Outstanding setup link") {
		t.Fatalf("the user's page after a reload does not list the outstanding link:\n%s", page)
	}

	// A new setup link from the user page: shown once as well.
	click(t, b, "form[action$='/setup-link'] button", "")
	waitText(t, b, "#link-h", "Setup link")
	if got := location(t, b); got != "/admin/users/"+grace.ID {
		t.Fatalf("after Create setup link the browser is at %s", got)
	}
	reload(t, b)
	if strings.Contains(pageText(b), "/setup/") {
		t.Fatal("the setup link is shown again after a reload")
	}

	// The account page's last-passkey confirmation is a page to reload.
	pks, err := srv.Store.(store.AuthStore).ListPasskeys(context.Background(), margaret.ID)
	if err != nil || len(pks) != 1 {
		t.Fatalf("margaret's passkeys: %v, %v", pks, err)
	}
	visit(t, b, srv.URL+"/account")
	sel := "#passkey-" + pks[0].ID
	click(t, b, sel+" summary", "")
	click(t, b, sel+" form[action$='/delete'] button", "/account")
	waitText(t, b, "main", "This is your only passkey")
	reload(t, b)
	waitText(t, b, "main", "This is your only passkey")
	if n := countPasskeys(t, srv, margaret.ID); n != 1 {
		t.Fatalf("%d passkeys after asking to delete the last one and reloading, want 1", n)
	}
	click(t, b, "#confirm-delete-last", "/account")
	waitText(t, b, "main", "Passkey deleted.")
}

// TestConsoleConfirmations checks that the actions that lock a person out
// ask first, on a page of their own (no script needed): disabling a user,
// revoking all their passkeys and an admin removing their own
// Administrator flag; each acts only after the confirmation.
func TestConsoleConfirmations(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	margaret := signInAdmin(t, srv, admin, b, "margaret")
	alan := createUser(t, admin, "alan", "Alan", "Turing")
	alanPage := srv.URL + "/admin/users/" + alan.ID

	// Disable: a confirmation page; Cancel leaves the user enabled.
	visit(t, b, alanPage)
	click(t, b, "#disable-user", "/admin/users/"+alan.ID+"/disable")
	waitText(t, b, "h1", "Disable alan?")
	if u, _ := admin.Users.Get(ctx, alan.ID); u.Attributes.Disabled {
		t.Fatal("the user was disabled by the first click")
	}
	click(t, b, "#confirm-cancel", "/admin/users/"+alan.ID)
	click(t, b, "#disable-user", "/admin/users/"+alan.ID+"/disable")
	click(t, b, "#confirm-button", "/admin/users/"+alan.ID)
	waitText(t, b, "main", "User disabled")
	if u, _ := admin.Users.Get(ctx, alan.ID); !u.Attributes.Disabled {
		t.Fatal("the user is not disabled after confirming")
	}

	// Revoke all passkeys: margaret's own, confirmed on its page.
	visit(t, b, srv.URL+"/admin/users/"+margaret.ID)
	click(t, b, "#revoke-passkeys", "/admin/users/"+margaret.ID+"/revoke-passkeys")
	waitText(t, b, "main", "They cannot sign in again until")
	if n := countPasskeys(t, srv, margaret.ID); n != 1 {
		t.Fatalf("%d passkeys after the first click, want 1", n)
	}

	// Demoting oneself: warned on the page, then asked.
	visit(t, b, srv.URL+"/admin/users/"+margaret.ID)
	waitText(t, b, "#self-admin-warning", "takes away your access to the admin console")
	step(t, b, "untick Administrator", chromedp.Click(chromedp.CSS("#f-is-admin"), chromedp.NodeVisible))
	click(t, b, "#edit-h ~ form button[type=submit]", "/admin/users/"+margaret.ID)
	waitText(t, b, "h1", "Remove your own administrator rights?")
	if u, _ := admin.Users.Get(ctx, margaret.ID); !u.Attributes.IsAdmin {
		t.Fatal("margaret lost the Administrator flag before confirming")
	}
	click(t, b, "#confirm-cancel", "/admin/users/"+margaret.ID)
	if u, _ := admin.Users.Get(ctx, margaret.ID); !u.Attributes.IsAdmin {
		t.Fatal("margaret lost the Administrator flag after Cancel")
	}
	step(t, b, "untick Administrator", chromedp.Click(chromedp.CSS("#f-is-admin"), chromedp.NodeVisible))
	click(t, b, "#edit-h ~ form button[type=submit]", "/admin/users/"+margaret.ID)
	click(t, b, "#confirm-button", "/account")
	waitText(t, b, "main", "You are no longer an administrator")
	if u, _ := admin.Users.Get(ctx, margaret.ID); u.Attributes.IsAdmin || *u.Attributes.Title != "Platform lead" {
		t.Fatalf("after confirming: is-admin %v, title %v; want false and the title kept", u.Attributes.IsAdmin, u.Attributes.Title)
	}
}

// TestSignInWithUsername types a username on the sign-in page and presses
// Enter: the browser is asked for that person's passkeys only
// (allowCredentials), so on a device that holds passkeys of two accounts
// the typed one signs in, whichever it is.
func TestSignInWithUsername(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	for _, u := range []struct{ name, first, last string }{{"ada", "Ada", "Lovelace"}, {"alan", "Alan", "Turing"}} {
		user := createUser(t, admin, u.name, u.first, u.last)
		link, err := admin.Users.CreateSetupLink(context.Background(), user.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		visit(t, b, link.Attributes.URL)
		click(t, b, "#passkey-button", "/account")
		click(t, b, ".signout button", "/signin")
	}
	for _, u := range []struct{ name, full string }{{"ada", "Ada Lovelace"}, {"alan", "Alan Turing"}, {"ada", "Ada Lovelace"}} {
		visit(t, b, srv.URL+"/signin")
		step(t, b, "type "+u.name+" and press Enter", chromedp.SendKeys(chromedp.CSS("#username"), u.name+"\r"))
		waitPath(t, b, "/account")
		waitText(t, b, "h1", u.full)
		click(t, b, ".signout button", "/signin")
	}
}

// TestGroupMembersPagedAndSearched fills a group with 1,200 people and
// reaches the last ones from the group page: the members come 50 a page
// with Next and First page, a search finds member 1,150, and the Add
// member field suggests matching people as the admin types.
func TestGroupMembersPagedAndSearched(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	g, err := srv.Store.CreateGroup(ctx, store.Group{Name: "everyone"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var users []store.User
	for i := range 1200 {
		name := fmt.Sprintf("m%04d", i+1)
		users = append(users, store.User{Username: name, Email: name + "@example.com", FirstName: "Member", LastName: name, GroupIDs: []string{g.ID}})
	}
	if _, err := srv.Store.CreateUsers(ctx, users, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	createUser(t, admin, "zelda", "Zelda", "Fitzgerald") // not a member yet
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, admin, b, "margaret")

	visit(t, b, srv.URL+"/admin/groups/"+g.ID)
	waitText(t, b, "#members-h", "Members (1200)")
	if n := countMembers(t, b); n != 50 {
		t.Fatalf("the group page lists %d members, want 50 a page", n)
	}
	click(t, b, ".members ~ .pager a[rel=next]", "/admin/groups/"+g.ID)
	waitText(t, b, ".members", "m0051")
	if strings.Contains(pageText(b), "m0050") {
		t.Fatal("the second page repeats the first")
	}
	step(t, b, "search members", chromedp.SetValue(chromedp.CSS("#member-q"), "m115"))
	click(t, b, "#member-q ~ button", "")
	waitText(t, b, ".members", "m1150")
	if n := countMembers(t, b); n != 10 {
		t.Fatalf("searching m115 lists %d members, want 10 (m1150–m1159):\n%s", n, pageText(b))
	}
	if loc := location(t, b); !strings.Contains(loc, "q=m115") {
		t.Fatalf("the search is not in the URL: %s", loc)
	}

	// Typing a name offers matching people in the Add member field.
	step(t, b, "type a name", chromedp.SendKeys(chromedp.CSS("#member-username"), "zel"))
	if err := waitTrue(b, `[...document.querySelectorAll("#user-suggestions option")].some(o => o.value === "zelda" && o.label.includes("Zelda Fitzgerald"))`); err != nil {
		t.Fatalf("no suggestion for zel: %v", err)
	}
	step(t, b, "finish the name", chromedp.SendKeys(chromedp.CSS("#member-username"), "da"))
	click(t, b, "form[action$='/members'] button", "")
	waitText(t, b, "main", "Members changed.")
	waitText(t, b, "#members-h", "Members (1201)")
}

func countMembers(t *testing.T, b context.Context) int {
	t.Helper()
	n, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll(".members li:not(.empty)").length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUserListSortFilterPage works the user list as an admin of a real
// company would: the total is shown, the columns sort (and sort back),
// status and group filters narrow the list, and Previous, Next and the
// page's position move through it with the whole query kept in the URL.
// A search matching more users than the list counts says "more than".
func TestUserListSortFilterPage(t *testing.T) {
	// The list counts at most 100 matches of a search here (10,000 in
	// production), so 122 users show exact totals and a capped one.
	web.SetUserCountLimit(t, 100)
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	g, err := srv.Store.CreateGroup(ctx, store.Group{Name: "pilots"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var users []store.User
	for i := range 120 {
		name := fmt.Sprintf("p%03d", i)
		u := store.User{Username: name, Email: name + "@example.com", Disabled: i%10 == 3}
		if i%2 == 0 {
			u.GroupIDs = []string{g.ID}
		}
		users = append(users, u)
	}
	if _, err := srv.Store.CreateUsers(ctx, users, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, admin, b, "margaret") // 122 users with the bootstrap admin
	click(t, b, ".signout button", "/signin") // a real sign-in, for her last sign-in time
	click(t, b, "#passkey-button", "/account")

	visit(t, b, srv.URL+"/admin/users")
	waitText(t, b, "#user-total", "122 users")
	waitText(t, b, "#page-position", "Page 1 of 3")
	click(t, b, "a[rel=next]", "/admin/users")
	waitText(t, b, "#page-position", "Page 2 of 3")
	waitText(t, b, "table", "p048")
	click(t, b, "a[rel=prev]", "/admin/users")
	waitText(t, b, "#page-position", "Page 1 of 3")
	waitText(t, b, "table", "p000")

	// Sorting: the latest sign-in first puts margaret, the only one who
	// signed in, on top; Status sorts active first, then back.
	click(t, b, "#sort-last-sign-in", "")
	waitSearch(t, b, "sort=last-sign-in")
	if first := firstUser(t, b); first != "margaret" {
		t.Fatalf("sorted by last sign-in, the first user is %q, want margaret", first)
	}
	if loc := location(t, b); !strings.Contains(loc, "sort=last-sign-in") || !strings.Contains(loc, "dir=desc") {
		t.Fatalf("the sort is not in the URL: %s", loc)
	}
	click(t, b, "#sort-status", "")
	waitSearch(t, b, "sort=status")
	if first := firstUser(t, b); first != "margaret" {
		t.Fatalf("sorted by status, the first user is %q, want the only active one, margaret", first)
	}
	click(t, b, "#sort-status", "")
	waitSearch(t, b, "dir=desc")
	if err := waitTrue(b, `!!document.querySelector("th[aria-sort=descending] #sort-status")`); err != nil {
		t.Fatalf("the Status column is not marked descending: %v", err)
	}
	if first := firstUser(t, b); first == "margaret" {
		t.Fatal("status descending still starts with the active user")
	}

	// Filters, kept while paging: disabled pilots.
	visit(t, b, srv.URL+"/admin/users")
	step(t, b, "filter", chromedp.SetValue(chromedp.CSS("#f-status"), "disabled"), chromedp.SetValue(chromedp.CSS("#f-group"), "pilots"))
	click(t, b, "form.search button", "/admin/users")
	waitText(t, b, "#user-total", "0 users")
	step(t, b, "filter", chromedp.SetValue(chromedp.CSS("#f-group"), ""))
	click(t, b, "form.search button", "/admin/users")
	waitText(t, b, "#user-total", "12 users")
	if n := countRows(t, b); n != 12 {
		t.Fatalf("disabled users: %d rows, want 12", n)
	}
	visit(t, b, srv.URL+"/admin/users?group=pilots&q=p0")
	waitText(t, b, "#user-total", "50 users")
	visit(t, b, srv.URL+"/admin/users?group=pilots")
	waitText(t, b, "#user-total", "60 users")
	click(t, b, "a[rel=next]", "/admin/users")
	waitText(t, b, "#page-position", "Page 2 of 2")
	if loc := location(t, b); !strings.Contains(loc, "group=pilots") || !strings.Contains(loc, "page=2") {
		t.Fatalf("the group filter is lost when paging: %s", loc)
	}
	if n := countRows(t, b); n != 10 {
		t.Fatalf("page 2 of pilots: %d rows, want 10", n)
	}

	// A search matching 120 users, more than the list counts: the total
	// and the position say "more than", Next goes on while there is a
	// next page, and the last page knows the exact total.
	visit(t, b, srv.URL+"/admin/users?q=p")
	waitText(t, b, "#user-total", "more than 100 users")
	waitText(t, b, "#page-position", "Page 1 of more than 2")
	click(t, b, "a[rel=next]", "/admin/users")
	waitText(t, b, "#page-position", "Page 2 of more than 2")
	waitText(t, b, "#user-total", "more than 100 users")
	click(t, b, "a[rel=next]", "/admin/users")
	waitText(t, b, "#page-position", "Page 3 of 3")
	if total, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#user-total").innerText`)); err != nil || total != "120 users" {
		t.Fatalf("the last page of the search shows the total %q (%v), want 120 users", total, err)
	}
	if n := countRows(t, b); n != 20 {
		t.Fatalf("the last page of the search: %d rows, want 20", n)
	}
	if loc := location(t, b); !strings.Contains(loc, "q=p") || !strings.Contains(loc, "page=3") {
		t.Fatalf("the search is lost when paging: %s", loc)
	}
	if has, err := chromedp.Run(b, chromedp.Evaluate[bool](`!!document.querySelector("a[rel=next]")`)); err != nil || has {
		t.Fatalf("the last page offers Next (%v)", err)
	}
	// Straight to a page past the end of the search: its last page.
	visit(t, b, srv.URL+"/admin/users?q=p&page=9")
	waitText(t, b, "#page-position", "Page 3 of 3")

	// Bad input is a page that says so, never a 500.
	visit(t, b, srv.URL+"/admin/users?status=asleep&group=nobody&sort=shoe&page=-3")
	waitText(t, b, "main", "There is no")
	waitText(t, b, "#page-position", "Page 1 of 3")
}

func firstUser(t *testing.T, b context.Context) string {
	t.Helper()
	s, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("table tbody tr strong")?.innerText || ""`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitSearch waits until the browser's query string holds want.
func waitSearch(t *testing.T, b context.Context, want string) {
	t.Helper()
	if err := waitTrue(b, `location.search.includes(`+jsString(want)+`) && document.readyState === "complete"`); err != nil {
		t.Fatalf("waiting for %q in the URL: %v; at %s", want, err, location(t, b))
	}
}

// TestPagesFitAPhone opens every admin and account page at 390 px (an
// iPhone's width) and checks that nothing is wider than the screen: the
// document does not scroll sideways, and no table cell, input or button
// ends past the right edge (a table inside a scrolling card would hide
// its columns there).
func TestPagesFitAPhone(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	margaret := signInAdmin(t, srv, admin, b, "margaret")
	ada := createUser(t, admin, "ada.lovelace-longname", "Augusta Ada", "King-Noel, Countess of Lovelace")
	g, err := srv.Store.CreateGroup(ctx, store.Group{Name: "analytical-engine-enthusiasts", FriendlyName: "Analytical engine enthusiasts"}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.ChangeGroupMembers(ctx, g.ID, 0, store.MembershipAdd, []string{ada.ID, margaret.ID}, store.Meta{ActorName: "test"}); err != nil {
		t.Fatal(err)
	}
	app, err := srv.Store.(store.OIDCStore).CreateOIDCClient(ctx, store.OIDCClient{Name: "Grafana for the analytical engine enthusiasts",
		RedirectURIs: []string{"https://grafana.analytical-engine.example.com/login/generic_oauth"},
		GrantTypes:   []string{"authorization_code", "refresh_token"}}, store.Meta{ActorName: "test"})
	if err != nil {
		t.Fatal(err)
	}
	step(t, b, "phone viewport", chromedp.EmulateViewport(390, 844))
	for _, path := range []string{
		"/admin/clients", "/admin/clients/" + app.ID,
		"/account", "/account?confirm-delete=x",
		"/admin/users", "/admin/users?status=active&group=" + g.Name, "/admin/users/new",
		"/admin/users/" + ada.ID, "/admin/users/" + margaret.ID, "/admin/users/" + ada.ID + "/disable", "/admin/users/" + margaret.ID + "/revoke-passkeys",
		"/admin/groups", "/admin/groups/" + g.ID, "/admin/audit", "/admin/audit?action=group.&since=2026-01-01",
	} {
		visit(t, b, srv.URL+path)
		wide, err := chromedp.Run(b, chromedp.Evaluate[string](`(() => {
			const w = document.documentElement.clientWidth;
			if (document.documentElement.scrollWidth > w) return "the page is " + document.documentElement.scrollWidth + " px wide";
			for (const el of document.querySelectorAll("main td, main th, main input, main select, main button, main .button, main summary")) {
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.right > w + 0.5) return (el.id || el.tagName) + " «" + el.innerText.slice(0, 40) + "» ends at " + Math.round(r.right) + " px";
			}
			return "";
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if wide != "" {
			t.Errorf("%s at 390 px: %s", path, wide)
		}
	}
}

// TestMessagesAndNames checks the small things a person reads: a cloned
// passkey (its counter went back) is called that on the page, as in the
// audit log; a second passkey made in the same kind of browser gets a
// number; /setup/ without its secret is a page that says what to do; and
// the pages have a favicon.
func TestMessagesAndNames(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	ctx := context.Background()
	b := newBrowser(t)
	hideConditionalUI(t, b)

	// /setup/ alone and the favicon.
	visit(t, b, srv.URL+"/setup/")
	waitText(t, b, "h1", "This setup link is incomplete")
	icon, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("link[rel=icon]")?.href || ""`))
	if err != nil || icon == "" {
		t.Fatalf("no favicon link: %q, %v", icon, err)
	}
	if err := waitTrue(b, `fetch(`+jsString(icon)+`).then(r => r.ok && r.headers.get("content-type").startsWith("image/svg+xml"))`, func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }); err != nil {
		t.Fatalf("the favicon %s does not load: %v", icon, err)
	}
	if err := waitTrue(b, `fetch("/favicon.ico").then(r => r.ok)`, func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }); err != nil {
		t.Fatalf("/favicon.ico does not load: %v", err)
	}

	// Ada registers on the laptop; a copy of its passkey is kept.
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")
	link, err := admin.Users.CreateSetupLink(ctx, ada.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	laptop := addAuthenticator(t, b)
	visit(t, b, link.Attributes.URL)
	click(t, b, "#passkey-button", "/account")
	copied := exportCredentials(t, b, laptop)
	for range 2 { // two sign-ins move the stored counter past the copy's
		click(t, b, ".signout button", "/signin")
		click(t, b, "#passkey-button", "/account")
	}

	// A second passkey from another authenticator in the same browser.
	removeAuthenticator(t, b, laptop)
	phone := addAuthenticator(t, b)
	click(t, b, "#passkey-button", "")
	waitText(t, b, "main", "Passkey added.")
	waitText(t, b, ".passkeys", "Chrome on Linux 2")
	if n := strings.Count(pageText(b), "Chrome on Linux"); n < 2 {
		t.Fatalf("passkey names: %d mentions of Chrome on Linux", n)
	}

	// The copy, with its older counter, is refused as a possible clone.
	click(t, b, ".signout button", "/signin")
	removeAuthenticator(t, b, phone)
	importCredentials(t, b, addAuthenticator(t, b), copied)
	click(t, b, "#passkey-button", "")
	waitText(t, b, "#passkey-status", "may have been cloned")
	if strings.Contains(pageText(b), "If it was deleted") {
		t.Fatalf("the clone refusal talks about a deleted passkey:\n%s", pageText(b))
	}
	evs, _, err := srv.Store.ListAuditEvents(ctx, store.AuditFilter{TargetID: ada.ID, Action: "signin.failure"}, store.Page{Limit: 10})
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].After), "cloned") {
		t.Fatalf("signin.failure events: %+v, %v; want one saying cloned", evs, err)
	}
}

// TestSetupLinkQRDarkModeAndPhoneLayout checks what people expect of a
// current site: a setup link comes with a Copy button and a QR code (a
// server-made PNG the CSP allows), the account page offers "Sign out of
// all other devices" only when there are others, the pages follow the
// system's dark mode, and on a phone a user's access actions come before
// the profile fields and Sign out sits on the row of the name.
func TestSetupLinkQRDarkModeAndPhoneLayout(t *testing.T) {
	srv := startServer(t)
	admin := adminClient(t, srv)
	b := newBrowser(t)
	hideConditionalUI(t, b)
	addAuthenticator(t, b)
	signInAdmin(t, srv, admin, b, "margaret")
	ada := createUser(t, admin, "ada", "Ada", "Lovelace")

	// One browser signed in: nothing else to sign out of.
	visit(t, b, srv.URL+"/account")
	waitText(t, b, "#sessions", "this device")
	if ok, _ := chromedp.Run(b, chromedp.Evaluate[bool](`!!document.querySelector("#signout-others")`)); ok {
		t.Fatal("the account page offers to sign out of other devices when there are none")
	}

	visit(t, b, srv.URL+"/admin/users/"+ada.ID)
	click(t, b, "form[action$='/setup-link'] button", "")
	waitText(t, b, "#link-h", "Setup link")
	if err := waitTrue(b, `(() => { const i = document.querySelector("#setup-qr"); return !!i && i.complete && i.naturalWidth >= 100; })()`); err != nil {
		t.Fatalf("no QR code image shown with the setup link: %v", err)
	}
	if _, err := chromedp.Call(b, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, perm := range []string{"clipboard-write", "clipboard-read"} { // as a person's click would be allowed
		if _, err := chromedp.Call(b, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: srv.URL}); err != nil {
			t.Fatal(err)
		}
	}
	click(t, b, "#copy-link", "")
	waitText(t, b, "#copy-status", "Copied.")
	if err := waitTrue(b, `navigator.clipboard.readText().then(s => s === document.querySelector("#setup-url").value && s.includes("/setup/"))`,
		func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }); err != nil {
		t.Fatalf("the clipboard does not hold the setup link: %v", err)
	}

	// Dark mode follows the system.
	bg := func() string {
		s, err := chromedp.Run(b, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor + " " + getComputedStyle(document.querySelector(".card")).backgroundColor`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	light := bg()
	if _, err := chromedp.Call(b, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	visit(t, b, srv.URL+"/admin/users/"+ada.ID)
	if dark := bg(); dark == light || !strings.Contains(dark, "rgb(15, 19, 26)") {
		t.Fatalf("in dark mode the page and card are %s (light: %s)", dark, light)
	}

	// A phone: access before details, Sign out beside the name.
	step(t, b, "phone viewport", chromedp.EmulateViewport(390, 844))
	visit(t, b, srv.URL+"/admin/users/"+ada.ID)
	pos, err := chromedp.Run(b, chromedp.Evaluate[[]float64](`(() => {
		const top = s => document.querySelector(s).getBoundingClientRect().top;
		return [top("#access-h"), top("#edit-h"), top(".signout button"), top(".brand"), document.querySelector(".whoami").getBoundingClientRect().width];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if pos[0] >= pos[1] {
		t.Errorf("on a phone, Access (top %v) comes after Details (top %v)", pos[0], pos[1])
	}
	if d := pos[2] - pos[3]; d > 20 || d < -20 || pos[4] == 0 {
		t.Errorf("on a phone, Sign out (top %v) is not on the row of the brand (top %v), or the name is hidden (width %v)", pos[2], pos[3], pos[4])
	}
}
