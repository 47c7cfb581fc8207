package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/store/sqlstore"
)

// FuzzCursor hands arbitrary page[after] values (and search terms) to
// every list of the store. A cursor the store did not issue must be
// store.ErrInvalidCursor or an ordinary page, never another error or a
// panic; and the next cursor of any page that came back must work.
func FuzzCursor(f *testing.F) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(f.TempDir(), "cursor.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	m := store.Meta{ActorName: "fuzz"}
	var issued []string
	for i := range 12 {
		u, err := st.CreateUser(ctx, store.User{Username: fmt.Sprintf("user%02d", i), Email: fmt.Sprintf("u%d@example.com", i),
			FirstName: []string{"ann", "anna", "bob"}[i%3], LastName: "smith"}, m)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := st.CreateGroup(ctx, store.Group{Name: fmt.Sprintf("group%02d", i), FriendlyName: "Group"}, m); err != nil {
			f.Fatal(err)
		}
		if _, err := st.CreateToken(ctx, store.Token{UserID: u.ID, Name: "t", Hash: []byte(fmt.Sprintf("%032d", i)), Prefix: "rc_x"}, m); err != nil {
			f.Fatal(err)
		}
	}
	for _, q := range []string{"", "an", "u"} {
		_, next, err := st.ListUsers(ctx, store.UserFilter{Query: q}, store.Page{Limit: 2})
		if err != nil {
			f.Fatal(err)
		}
		issued = append(issued, next)
	}
	_, next, _ := st.ListGroups(ctx, store.GroupFilter{}, store.Page{Limit: 2})
	issued = append(issued, next)
	_, next, _ = st.ListAuditEvents(ctx, store.AuditFilter{}, store.Page{Limit: 2})
	issued = append(issued, next)
	for _, c := range append(issued, "", "AA", "_w", "eyJwIjo5OSwiayI6IiIsInUiOiIifQ", "eyJwIjotMX0", "e30", "bnVsbA", "!!", "dXNlcjA1") {
		for which := range uint8(5) {
			f.Add(c, which, "an")
			f.Add(c, which, "")
		}
	}
	f.Fuzz(func(t *testing.T, after string, which uint8, q string) {
		page := store.Page{After: after, Limit: 3}
		var next string
		var err error
		list := func(p store.Page) (string, error) {
			switch which % 5 {
			case 0:
				_, n, err := st.ListUsers(ctx, store.UserFilter{}, p)
				return n, err
			case 1:
				_, n, err := st.ListUsers(ctx, store.UserFilter{Query: q}, p)
				return n, err
			case 2:
				_, n, err := st.ListGroups(ctx, store.GroupFilter{Query: q}, p)
				return n, err
			case 3:
				_, n, err := st.ListAuditEvents(ctx, store.AuditFilter{}, p)
				return n, err
			default:
				_, n, err := st.ListTokens(ctx, store.TokenFilter{}, p)
				return n, err
			}
		}
		next, err = list(page)
		if err != nil {
			if errors.Is(err, store.ErrInvalidCursor) {
				return
			}
			// A search term PostgreSQL could not hold is the server's to
			// refuse; the store's contract is about cursors.
			t.Fatalf("list %d with cursor %q (q %q): %v, want a page or store.ErrInvalidCursor", which%5, after, q, err)
		}
		if next != "" {
			if _, err := list(store.Page{After: next, Limit: 3}); err != nil {
				t.Fatalf("list %d: the store's own next cursor %q fails: %v", which%5, next, err)
			}
		}
	})
}
