package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

func testAuditList(t *testing.T, s store.Store) {
	start := time.Now().Add(-time.Second)
	other := store.Meta{ActorID: "actor-2", ActorName: "other"}
	g, err := s.CreateGroup(ctx, store.Group{Name: "audited"}, other)
	if err != nil {
		t.Fatal(err)
	}
	u := createUser(t, s, "subject")
	if _, err := s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipAdd, []string{g.ID}, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, u.ID, 0, func(x *store.User) error { x.Title = "T"; return nil }, meta); err != nil {
		t.Fatal(err)
	}
	all := allAudit(t, s, store.AuditFilter{})
	actions := func(evs []store.AuditEvent) string {
		out := ""
		for _, e := range evs {
			out += e.Action + " "
		}
		return out
	}
	if got := actions(all); got != "user.update user.groups.update user.create group.create " {
		t.Fatalf("audit newest first: %s", got)
	}
	seen := map[string]bool{}
	for i, e := range all {
		if len(e.ID) != 36 || seen[e.ID] {
			t.Errorf("event id %q missing or repeated", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Seq >= all[i-1].Seq {
			t.Errorf("seq not descending: %d after %d", e.Seq, all[i-1].Seq)
		}
		checkTime(t, "event time", e.CreatedAt)
	}
	cases := []struct {
		f    store.AuditFilter
		want string
	}{
		{store.AuditFilter{ActorID: "actor-2"}, "group.create "},
		{store.AuditFilter{TargetID: u.ID}, "user.update user.groups.update user.create "},
		{store.AuditFilter{Action: "user.create"}, "user.create "},
		{store.AuditFilter{Action: "user."}, "user.update user.groups.update user.create "},
		{store.AuditFilter{Action: "user.groups."}, "user.groups.update "},
		{store.AuditFilter{Action: "user"}, ""},
		{store.AuditFilter{Action: "group."}, "group.create "},
		{store.AuditFilter{Since: start}, "user.update user.groups.update user.create group.create "},
		{store.AuditFilter{Since: time.Now().Add(time.Hour)}, ""},
		{store.AuditFilter{Until: start}, ""},
		{store.AuditFilter{Until: time.Now().Add(time.Hour), ActorID: meta.ActorID, Action: "user."}, "user.update user.groups.update user.create "},
	}
	for _, c := range cases {
		if got := actions(allAudit(t, s, c.f)); got != c.want {
			t.Errorf("filter %+v: %q, want %q", c.f, got, c.want)
		}
	}
	// Until is exclusive, Since inclusive, to the microsecond.
	at := all[0].CreatedAt
	if got := actions(allAudit(t, s, store.AuditFilter{Since: at, Until: at.Add(time.Microsecond)})); got == "" {
		t.Errorf("Since=Until-1µs=event time found nothing")
	}
	// Paging by one walks all events in order.
	p := store.Page{Limit: 1}
	var paged []store.AuditEvent
	for range 10 {
		evs, next, err := s.ListAuditEvents(ctx, store.AuditFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, evs...)
		if next == "" {
			break
		}
		p.After = next
	}
	if fmt.Sprint(actions(paged)) != actions(all) {
		t.Errorf("paged audit %s, want %s", actions(paged), actions(all))
	}
}

func testInvalidCursor(t *testing.T, s store.Store) {
	createUser(t, s, "someone")
	for _, cur := range []string{"%%%", "not base64!", "AAAA====", "YWJj"} { // the last is base64 of "abc"
		_, _, err := s.ListAuditEvents(ctx, store.AuditFilter{}, store.Page{After: cur})
		wantErr(t, "audit cursor "+cur, err, store.ErrInvalidCursor)
		_, _, err = s.ListTokens(ctx, store.TokenFilter{}, store.Page{After: cur})
		wantErr(t, "token cursor "+cur, err, store.ErrInvalidCursor)
		if cur == "YWJj" {
			continue // a valid name cursor
		}
		_, _, err = s.ListUsers(ctx, store.UserFilter{}, store.Page{After: cur})
		wantErr(t, "user cursor "+cur, err, store.ErrInvalidCursor)
		_, _, err = s.ListGroups(ctx, store.GroupFilter{}, store.Page{After: cur})
		wantErr(t, "group cursor "+cur, err, store.ErrInvalidCursor)
	}
	if _, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{After: "YWJj"}); errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a well-formed user cursor was refused")
	}
	// A plain list's cursor does not fit a search, nor NUL bytes anything.
	_, _, err := s.ListUsers(ctx, store.UserFilter{Query: "a"}, store.Page{After: "YWJj"})
	wantErr(t, "list cursor in a search", err, store.ErrInvalidCursor)
	_, _, err = s.ListUsers(ctx, store.UserFilter{}, store.Page{After: "YQBi"}) // "a\x00b"
	wantErr(t, "cursor with a NUL", err, store.ErrInvalidCursor)
	_, _, err = s.ListGroups(ctx, store.GroupFilter{}, store.Page{After: "YQBi"})
	wantErr(t, "group cursor with a NUL", err, store.ErrInvalidCursor)
}

func testRestart(t *testing.T, dsn string, open func(t *testing.T, dsn string) store.Store) {
	s := open(t, dsn)
	g := createGroup(t, s, "durable")
	u, err := s.CreateUser(ctx, fullUser(), meta)
	if err != nil {
		t.Fatal(err)
	}
	if u, err = s.ChangeUserGroups(ctx, u.ID, 0, store.MembershipAdd, []string{g.ID}, meta); err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(ctx, store.Token{UserID: u.ID, Name: "kept", Hash: hash("kept"), Prefix: "rc_k"}, meta)
	if err != nil {
		t.Fatal(err)
	}
	g = getGroup(t, s, g.ID)
	events := allAudit(t, s, store.AuditFilter{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dsn)
	gotU := getUser(t, s, u.ID)
	if fmt.Sprintf("%+v", gotU) != fmt.Sprintf("%+v", u) {
		t.Errorf("user after restart\n%+v\nwant\n%+v", gotU, u)
	}
	if gotG := getGroup(t, s, g.ID); fmt.Sprintf("%+v", gotG) != fmt.Sprintf("%+v", g) {
		t.Errorf("group after restart\n%+v\nwant\n%+v", gotG, g)
	}
	if gotT, err := s.GetTokenByHash(ctx, hash("kept")); err != nil || fmt.Sprintf("%+v", gotT) != fmt.Sprintf("%+v", tok) {
		t.Errorf("token after restart %+v, %v; want %+v", gotT, err, tok)
	}
	if got := allAudit(t, s, store.AuditFilter{}); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", events) {
		t.Errorf("audit after restart\n%+v\nwant\n%+v", got, events)
	}
	// Opening again does not re-run migrations or lose the sequence.
	createUser(t, s, "after-restart")
	if evs := allAudit(t, s, store.AuditFilter{}); evs[0].Seq <= events[0].Seq {
		t.Errorf("audit seq went back after restart: %d <= %d", evs[0].Seq, events[0].Seq)
	}
}
