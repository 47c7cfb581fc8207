package scim_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/internal/testserver"
)

// BenchmarkGetUserInLargeGroup times GET /scim/v2/Users/{id} for a person
// in a group of 50,000, over real HTTP to a real server: the resource
// names the person's groups, which must not cost more because the group
// is large.
//
//	go test -run '^$' -bench BenchmarkGetUserInLargeGroup ./internal/scim
func BenchmarkGetUserInLargeGroupSQLite(b *testing.B) { benchmarkGetUserInLargeGroup(b, false) }

func BenchmarkGetUserInLargeGroupPostgres(b *testing.B) { benchmarkGetUserInLargeGroup(b, true) }

func benchmarkGetUserInLargeGroup(b *testing.B, postgres bool) {
	opts := []testserver.Option{testserver.WithLogLevel(slog.LevelWarn)}
	if postgres {
		opts = append(opts, testserver.WithPostgres())
	}
	srv := testserver.Start(b, opts...)
	c := &client{t: b, srv: srv, token: scimToken(b, srv)}
	_, ids := seedGroup(b, srv.Store)
	i := 0
	for b.Loop() {
		r := c.do("GET", "/scim/v2/Users/"+ids[i%benchMembers], nil)
		wantStatus(b, "GET", r, 200)
		if !strings.Contains(string(r.Body), `"display":"Everyone"`) {
			b.Fatalf("the user's groups are not named: %s", r.Body)
		}
		i++
	}
}
