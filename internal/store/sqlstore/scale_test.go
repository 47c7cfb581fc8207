package sqlstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testutil/pgtest"
)

// benchUsers is how many users the list benchmarks seed:
// ROLLCALL_BENCH_USERS, default 100,000 (the product target is 1,000,000).
func benchUsers(b *testing.B) int {
	if v := os.Getenv("ROLLCALL_BENCH_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("ROLLCALL_BENCH_USERS=%q: want a positive number", v)
		}
		return n
	}
	return 100_000
}

var (
	firstNames = []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
		"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Anna", "Zoë", "Émile", "Yusuf"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
		"Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King"}
)

// seed inserts n users straight into the tables (the store's own create
// path is measured by the create benchmarks), plus a group "all" holding
// every tenth user, in batches of one statement per user and one
// transaction per 10,000.
func seed(b *testing.B, s *Store, n int) (groupID string) {
	ctx := context.Background()
	g, err := s.CreateGroup(ctx, store.Group{Name: "tenth"}, store.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	now := s.now()
	for start := 0; start < n; start += 10_000 {
		err := s.Atomic(ctx, func(st store.Store) error {
			c := st.(*Store).tx
			for i := start; i < min(n, start+10_000); i++ {
				first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
				username := fmt.Sprintf("%c%s%d", first[0]|0x20, lower(last), i)
				email := fmt.Sprintf("%s.%s.%d@example.com", first, last, i)
				id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i)
				if _, err := c.exec(ctx, qInsertUser, id, username, email, false, first, last, "", "", false, false, false,
					"", "", "", "", "", strconv.Itoa(i), "", "{}", 0, nil, 1, c.t(now), c.t(now),
					lower(email), lower(first), lower(last)); err != nil {
					return err
				}
				if i%10 == 0 {
					if _, err := c.exec(ctx, qInsertMembership, id, g.ID, username); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if s.d == sqliteDialect {
		if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	} else if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return g.ID
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// benchmarkLists times the list and search requests the API serves, on a
// seeded database; each sub-benchmark reports the slowest call as max-ms.
func benchmarkLists(b *testing.B, dsn string) {
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n, err := s.CountUsers(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var gid string
	if n == 0 {
		n = benchUsers(b)
		t0 := time.Now()
		gid = seed(b, s, n)
		b.Logf("seeded %d users in %v", n, time.Since(t0))
	} else {
		g, err := s.GetGroupByName(ctx, "tenth")
		if err != nil {
			b.Fatal(err)
		}
		gid = g.ID
	}
	small, err := s.CreateGroup(ctx, store.Group{Name: fmt.Sprintf("small%d", time.Now().UnixNano())}, store.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	some, _, err := s.ListUsers(ctx, store.UserFilter{}, store.Page{Limit: 1000, After: encodeCursor("m")})
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
	mid, _, err := s.ListUsers(ctx, store.UserFilter{Query: "m"}, store.Page{Limit: 1})
	if err != nil || len(mid) == 0 {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		f    store.UserFilter
		p    store.Page
	}{
		{"FirstPage", store.UserFilter{}, store.Page{Limit: 100}},
		{"MiddlePage", store.UserFilter{}, store.Page{Limit: 100, After: encodeCursor(mid[0].Username)}},
		{"Page1000", store.UserFilter{}, store.Page{Limit: 1000}},
		{"Email", store.UserFilter{Email: "MARY.SMITH.1@example.com"}, store.Page{}},
		{"ExternalID", store.UserFilter{ExternalID: strconv.Itoa(n / 2)}, store.Page{}},
		{"QueryCommon", store.UserFilter{Query: "j"}, store.Page{Limit: 100}},
		{"QueryMedium", store.UserFilter{Query: "rob"}, store.Page{Limit: 100}},
		{"QueryRare", store.UserFilter{Query: "zoë"}, store.Page{Limit: 100}},
		{"QueryLong", store.UserFilter{Query: "james.smith.1"}, store.Page{Limit: 100}},
		{"QueryNone", store.UserFilter{Query: "qqq"}, store.Page{Limit: 100}},
		{"Group", store.UserFilter{GroupID: gid}, store.Page{Limit: 100}},
		{"SmallGroup", store.UserFilter{GroupID: small.ID}, store.Page{Limit: 100}},
		{"GroupQuery", store.UserFilter{GroupID: gid, Query: "w"}, store.Page{Limit: 100}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var worst time.Duration
			for range b.N {
				t := time.Now()
				if _, _, err := s.ListUsers(ctx, c.f, c.p); err != nil {
					b.Fatal(err)
				}
				worst = max(worst, time.Since(t))
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
		})
	}
}

// BenchmarkSQLiteListUsers seeds a new database, or reuses the file named
// by ROLLCALL_BENCH_SQLITE_FILE (seeding it when empty): seeding a million
// users takes minutes.
func BenchmarkSQLiteListUsers(b *testing.B) {
	path := os.Getenv("ROLLCALL_BENCH_SQLITE_FILE")
	if path == "" {
		path = b.TempDir() + "/lists.db"
	}
	benchmarkLists(b, path)
}

func BenchmarkPostgresListUsers(b *testing.B) {
	benchmarkLists(b, pgtest.NewDatabase(b))
}
