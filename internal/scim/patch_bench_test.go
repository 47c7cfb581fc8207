package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/internal/config"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// The group PATCH benchmarks time what Okta and Entra ID send when 1,000
// people join a group of 50,000: PATCH /scim/v2/Groups/{id} with
// {"op":"add","path":"members","value":[1,000 {"value": id}]}, over real
// HTTP to a real server, on each database. The "RemoveOne" variants also
// remove one member with members[value eq "…"] in the same request, as the
// clients do when one person leaves as others join.
//
// Each iteration adds 1,000 users who are not members (ten blocks of
// spare users, taken in turn) and checks the answer (204, and the member
// count afterwards); then, untimed, the change is undone through the store
// so every iteration starts from a group of exactly 50,000.
//
//	go test -run '^$' -bench BenchmarkPatchAddThousandMembers -benchtime 20x ./internal/scim
func BenchmarkPatchAddThousandMembersSQLite(b *testing.B) { benchmarkPatchMembers(b, false, patchAdd) }

func BenchmarkPatchAddThousandMembersPostgres(b *testing.B) { benchmarkPatchMembers(b, true, patchAdd) }

func BenchmarkPatchAddThousandMembersRemoveOneSQLite(b *testing.B) {
	benchmarkPatchMembers(b, false, patchAddRemoveOne)
}

func BenchmarkPatchAddThousandMembersRemoveOnePostgres(b *testing.B) {
	benchmarkPatchMembers(b, true, patchAddRemoveOne)
}

// The replace benchmarks send the whole list, as a path-less or members
// replace does: the group's 50,000 with 1,000 of them swapped for 1,000
// others (a body of 2.4 MB, over the default 1 MiB limit, which they
// raise). The remove-all benchmarks empty the group of 50,000 with
// {"op":"remove","path":"members"}.
func BenchmarkPatchReplaceMembersSQLite(b *testing.B) { benchmarkPatchMembers(b, false, patchReplace) }

func BenchmarkPatchReplaceMembersPostgres(b *testing.B) { benchmarkPatchMembers(b, true, patchReplace) }

func BenchmarkPatchRemoveAllMembersSQLite(b *testing.B) {
	benchmarkPatchMembers(b, false, patchRemoveAll)
}

func BenchmarkPatchRemoveAllMembersPostgres(b *testing.B) {
	benchmarkPatchMembers(b, true, patchRemoveAll)
}

type patchKind int

const (
	patchAdd patchKind = iota
	patchAddRemoveOne
	patchReplace
	patchRemoveAll
)

const (
	benchMembers = 50_000 // the group's size at the start of every iteration
	benchBlock   = 1_000  // users added per PATCH
	benchSpare   = 10 * benchBlock
)

// seedGroup creates benchMembers+benchSpare users through the store's bulk
// insert (CreateUsers: multi-row INSERTs, 10,000 users a transaction), the
// first benchMembers of them members of one group, and returns the group's
// id and the user ids in order.
func seedGroup(b *testing.B, st store.Store) (string, []string) {
	b.Helper()
	ctx := context.Background()
	meta := store.Meta{ActorName: "bench"}
	g, err := st.CreateGroup(ctx, store.Group{Name: "everyone", FriendlyName: "Everyone"}, meta)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, benchMembers+benchSpare)
	const chunk = 10_000
	for start := 0; start < len(ids); start += chunk {
		users := make([]store.User, 0, chunk)
		for i := start; i < min(start+chunk, len(ids)); i++ {
			ids[i] = uuid.NewString()
			u := store.User{ID: ids[i], Username: fmt.Sprintf("member%06d", i), Email: fmt.Sprintf("member%06d@example.com", i),
				FirstName: "Member", LastName: fmt.Sprint(i), ExternalID: fmt.Sprintf("okta-%d", i),
				Attributes: map[string]string{}, GroupIDs: []string{}}
			if i < benchMembers {
				u.GroupIDs = []string{g.ID}
			}
			users = append(users, u)
		}
		if _, err := st.CreateUsers(ctx, users, meta); err != nil {
			b.Fatal(err)
		}
	}
	return g.ID, ids
}

func benchmarkPatchMembers(b *testing.B, postgres bool, kind patchKind) {
	opts := []testserver.Option{testserver.WithLogLevel(slog.LevelWarn),
		testserver.WithConfig(func(c *config.Config) { c.BodyLimit = 8 << 20 })}
	if postgres {
		opts = append(opts, testserver.WithPostgres())
	}
	srv := testserver.Start(b, opts...)
	c := &client{t: b, srv: srv, token: scimToken(b, srv)}
	ctx := context.Background()
	t0 := time.Now()
	gid, ids := seedGroup(b, srv.Store)
	b.Logf("seeded %d users, %d of them in the group, in %v", len(ids), benchMembers, time.Since(t0).Round(time.Millisecond))
	se := srv.Store.(store.Searcher)
	meta := store.Meta{ActorName: "bench"}

	var worst time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		block := ids[benchMembers+(i%10)*benchBlock : benchMembers+(i%10+1)*benchBlock]
		values := func(ids []string) []any {
			out := make([]any, len(ids))
			for j, id := range ids {
				out[j] = map[string]any{"value": id}
			}
			return out
		}
		// want is the member count after the PATCH; gone leave and block
		// joins, and the undo puts them back.
		var ops []any
		var gone []string
		want := benchMembers + benchBlock
		switch kind {
		case patchAdd:
			ops = []any{map[string]any{"op": "add", "path": "members", "value": values(block)}}
		case patchAddRemoveOne:
			gone = []string{ids[i%benchMembers]}
			ops = []any{map[string]any{"op": "remove", "path": `members[value eq "` + gone[0] + `"]`},
				map[string]any{"op": "add", "path": "members", "value": values(block)}}
			want--
		case patchReplace:
			gone = ids[(i%50)*benchBlock : (i%50+1)*benchBlock]
			var keep []string
			keep = append(keep, ids[:(i%50)*benchBlock]...)
			keep = append(keep, ids[(i%50+1)*benchBlock:benchMembers]...)
			ops = []any{map[string]any{"op": "replace", "path": "members", "value": values(append(keep, block...))}}
			want = benchMembers
		case patchRemoveAll:
			gone, block = ids[:benchMembers], nil
			ops = []any{map[string]any{"op": "remove", "path": "members"}}
			want = 0
		}
		body, err := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		r := c.do("PATCH", "/scim/v2/Groups/"+gid, string(body))
		took := time.Since(start)
		b.StopTimer()
		worst = max(worst, took)
		wantStatus(b, "PATCH", r, 204)
		if r.Header.Get("ETag") == "" {
			b.Fatalf("PATCH answered without an ETag")
		}
		gs, err := srv.Store.GetGroups(ctx, []string{gid})
		if err != nil || len(gs) != 1 || gs[0].MemberCount != want {
			b.Fatalf("after the PATCH: %+v, %v; want %d members", gs, err, want)
		}
		if len(gone) > 0 {
			left, _, err := se.SearchGroups(ctx, store.Query{Limit: 1, Where: &store.Cond{Op: "and", Sub: []store.Cond{
				{Op: "eq", Field: store.FieldID, Value: gid}, {Op: "eq", Field: store.FieldMember, Value: gone[0]}}}})
			if err != nil || len(left) != 0 {
				b.Fatalf("a removed member is still in the group: %v, %v", left, err)
			}
		}
		// Undo, untimed: the block leaves and those removed return; the
		// count says every one of the block had joined.
		back, err := se.PatchGroupMembers(ctx, gid, 0, gone, block, meta)
		if err != nil || back.MemberCount != benchMembers {
			b.Fatalf("undoing the PATCH: %d members, %v; want %d", back.MemberCount, err, benchMembers)
		}
		i++
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(i), "ms/op")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}
