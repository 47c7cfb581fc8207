package sqlstore_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

// TestBuiltStatementsConcurrent runs lists and searches with more
// distinct statement texts (page sizes × filters) than the SQLite read
// pool keeps prepared, from several goroutines at once, and checks every
// answer against the same query run alone: the cache of built statements
// and its fallback once full change nothing a caller sees.
func TestBuiltStatementsConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, sqliteDSN(t))
	g, err := s.CreateGroup(ctx, store.Group{Name: "cache"}, store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		u := store.User{Username: fmt.Sprintf("cache%02d", i), Email: fmt.Sprintf("cache%02d@example.com", i), FirstName: "Cache"}
		if i%2 == 0 {
			u.GroupIDs = []string{g.ID}
		}
		if _, err := s.CreateUser(ctx, u, store.Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	type query struct {
		f store.UserFilter
		p store.Page
	}
	var queries []query
	for size := 1; size <= 40; size++ {
		queries = append(queries, query{store.UserFilter{}, store.Page{Limit: size}},
			query{store.UserFilter{GroupID: g.ID}, store.Page{Limit: size}},
			query{store.UserFilter{Query: "cache1"}, store.Page{Limit: size}})
	}
	want := make([][]store.User, len(queries))
	for i, q := range queries {
		if want[i], _, err = s.ListUsers(ctx, q.f, q.p); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range queries {
				i = (i + w*17) % len(queries)
				got, _, err := s.ListUsers(ctx, queries[i].f, queries[i].p)
				if err != nil {
					t.Error(err)
					return
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("query %d (%+v): %d users, alone %d", i, queries[i], len(got), len(want[i]))
				}
			}
		})
	}
	wg.Wait()
}
