package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// mixStatuses gives the seeded users the statuses of a real directory:
// four in five (and all of the group "tenth") have a passkey and a last sign-in spread over a year, one
// in twenty is disabled and one in a hundred is a service account.
func mixStatuses(b *testing.B, s *Store) {
	ctx := context.Background()
	n := "CAST(external_id AS INTEGER)"
	signIn := "1767225600000000 + (" + n + " * 7919 % 31536000) * 1000000"
	if s.d.name == "postgres" {
		signIn = "timestamptz '2026-01-01 00:00:00+00' + (" + n + " * 7919 % 31536000) * interval '1 second'"
	}
	analyze := "ANALYZE"
	if s.d.name == "postgres" {
		analyze = "VACUUM ANALYZE"
	}
	for _, q := range []string{
		"UPDATE users SET passkey_count = 1, last_sign_in_at = " + signIn + " WHERE " + n + " % 5 <> 1",
		"UPDATE users SET disabled = TRUE WHERE " + n + " % 20 = 3",
		"UPDATE users SET service_account = TRUE WHERE " + n + " % 100 = 7",
		// VACUUM too: a database that has been in use has its visibility
		// map set by autovacuum, which makes PostgreSQL's counts and
		// index walks index-only.
		analyze,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// benchmarkUserListPage times the console's user list (ListUsersPage: a
// page of 50 and the total, counted as the console counts, up to
// store.UserListCountLimit) at ROLLCALL_BENCH_USERS users (default
// 100,000) for every sort, filter and a late page; each sub-benchmark
// reports the slowest call as max-ms. The cases ending in Exact count
// every match, as the list did before it capped the count.
func benchmarkUserListPage(b *testing.B, dsn string) {
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n := benchUsers(b)
	t0 := time.Now()
	gid := seed(b, s, n)
	mixStatuses(b, s)
	b.Logf("seeded %d users in %v", n, time.Since(t0))
	small, err := s.CreateGroup(ctx, store.Group{Name: "small"}, store.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	some, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 200, After: encodeCursor("m")})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, u := range some {
		ids = append(ids, u.ID)
	}
	if _, err := s.ChangeGroupMembers(ctx, small.ID, 0, store.MembershipReplace, ids, store.Meta{}); err != nil {
		b.Fatal(err)
	}
	const page = 50
	last := n - page
	type q = store.UserListQuery
	cases := []struct {
		name string
		q    q
	}{
		{"Name", q{Limit: page}},
		{"NameDesc", q{Limit: page, Desc: true}},
		{"NameLastPage", q{Limit: page, Offset: last}},
		{"NameMiddlePage", q{Limit: page, Offset: n / 2}},
		{"SignIn", q{Limit: page, Sort: store.UserSortLastSignIn}},
		{"SignInDesc", q{Limit: page, Sort: store.UserSortLastSignIn, Desc: true}},
		{"SignInDescLastPage", q{Limit: page, Sort: store.UserSortLastSignIn, Desc: true, Offset: last}},
		{"Status", q{Limit: page, Sort: store.UserSortStatus}},
		{"StatusDescLastPage", q{Limit: page, Sort: store.UserSortStatus, Desc: true, Offset: last}},
		{"Active", q{Limit: page, Status: store.UserStatusActive}},
		{"ActiveSignInDesc", q{Limit: page, Status: store.UserStatusActive, Sort: store.UserSortLastSignIn, Desc: true}},
		{"ActiveLastPage", q{Limit: page, Status: store.UserStatusActive, Offset: n*7/10 - page}},
		{"Pending", q{Limit: page, Status: store.UserStatusPendingSetup}},
		{"Disabled", q{Limit: page, Status: store.UserStatusDisabled}},
		{"ServiceAccount", q{Limit: page, Status: store.UserStatusServiceAccount, Sort: store.UserSortLastSignIn}},
		{"Group", q{Limit: page, GroupID: gid}},
		{"GroupSignInDesc", q{Limit: page, GroupID: gid, Sort: store.UserSortLastSignIn, Desc: true}},
		{"GroupActive", q{Limit: page, GroupID: gid, Status: store.UserStatusActive}},
		{"SmallGroupStatus", q{Limit: page, GroupID: small.ID, Sort: store.UserSortStatus}},
		{"QueryCommon", q{Limit: page, Query: "j"}},
		{"QueryCommonSignIn", q{Limit: page, Query: "j", Sort: store.UserSortLastSignIn, Desc: true}},
		{"QueryRareActive", q{Limit: page, Query: "zoë", Status: store.UserStatusActive}},
		{"QueryGroup", q{Limit: page, Query: "w", GroupID: gid}},
		{"QueryCommonDeepPage", q{Limit: page, Query: "j", Offset: n / 10}},
		{"QueryCommonExact", q{Limit: page, Query: "j"}},
		{"GroupActiveExact", q{Limit: page, GroupID: gid, Status: store.UserStatusActive}},
	}
	for _, c := range cases {
		if !strings.HasSuffix(c.name, "Exact") {
			c.q.CountLimit = store.UserListCountLimit
		}
		b.Run(c.name, func(b *testing.B) {
			var worst time.Duration
			for range b.N {
				t := time.Now()
				l, err := s.ListUsersPage(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if l.Total == 0 || len(l.Users) == 0 {
					b.Fatalf("%+v: %d users of %d", c.q, len(l.Users), l.Total)
				}
				worst = max(worst, time.Since(t))
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
		})
	}
}

func BenchmarkSQLiteUserListPage(b *testing.B) {
	benchmarkUserListPage(b, b.TempDir()+"/userlist.db")
}

func BenchmarkPostgresUserListPage(b *testing.B) {
	benchmarkUserListPage(b, pgtest.NewDatabase(b))
}
