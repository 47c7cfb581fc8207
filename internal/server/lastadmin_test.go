package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/server"
	"github.com/rollcall/rollcall/internal/store"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestLastAdminRace: the only two enabled admins remove each other at the
// same moment over HTTP (demote, delete or disable, in each pairing), many
// times. At least one enabled admin must remain every time, and a request
// that lost must say so: 409 last_admin, or 401, 403 or 404 when the
// other's change had already taken its token's rights away before it was
// authorised (a non-admin sees other users as missing).
// Before the rule was enforced under a lock, PostgreSQL's READ COMMITTED
// let both transactions count the other admin and both commit.
func TestLastAdminRace(t *testing.T) {
	const trials = 50
	type action struct {
		name   string
		method string
		attrs  map[string]any // nil for DELETE
	}
	var (
		demote  = action{"demote", "PATCH", map[string]any{"is-admin": false}}
		disable = action{"disable", "PATCH", map[string]any{"disabled": true}}
		del     = action{"delete", "DELETE", nil}
	)
	pairs := [][2]action{{demote, demote}, {del, del}, {disable, demote}, {disable, del}}
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend, testserver.WithLogLevel(100))
		ctx := context.Background()
		boot, err := srv.Store.GetUserByUsername(ctx, server.BootstrapUsername)
		if err != nil {
			t.Fatal(err)
		}
		survivors := []string{boot.ID}
		for _, pair := range pairs {
			t.Run(pair[0].name+"-"+pair[1].name, func(t *testing.T) {
				zero, conflicts := 0, 0
				for i := range trials {
					// Exactly two enabled admins, a and b, each with a token.
					var ids [2]string
					var toks [2]string
					for k := range 2 {
						u := srv.CreateUser(t, fmt.Sprintf("%s-%s-%d-%d", pair[0].name, pair[1].name, i, k), true)
						ids[k], toks[k] = u.ID, srv.NewToken(t, u.ID, nil)
					}
					for _, id := range survivors {
						if _, err := srv.Store.UpdateUser(ctx, id, 0, func(u *store.User) error { u.IsAdmin = false; return nil }, store.Meta{}); err != nil {
							t.Fatalf("demote the last trial's admin: %v", err)
						}
					}
					var statuses [2]int
					var codes [2]string
					var wg sync.WaitGroup
					start := make(chan struct{})
					for k := range 2 {
						// k acts on the other one, with its own token.
						act, target := pair[k], ids[1-k]
						wg.Go(func() {
							<-start
							rq := req{method: act.method, path: "/api/v1/users/" + target, token: toks[k], noValidate: true}
							if act.attrs != nil {
								rq.body = map[string]any{"data": map[string]any{"type": "users", "attributes": act.attrs}}
							}
							r := call(t, srv, rq)
							statuses[k] = r.Status
							if r.Status >= 400 {
								codes[k] = r.Errors(t)[0].Code
							}
						})
					}
					close(start)
					wg.Wait()
					n, err := srv.Store.CountAdmins(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 {
						zero++
					}
					survivors = survivors[:0]
					for k := range 2 {
						switch s := statuses[k]; {
						case s < 300:
						case s == http.StatusConflict && codes[k] == api.CodeLastAdmin:
							conflicts++
						case s == http.StatusUnauthorized || s == http.StatusForbidden || s == http.StatusNotFound:
							// The other change took this token's admin rights
							// (401 deleted, 403/404 demoted or disabled) first.
						default:
							t.Errorf("trial %d: %s by admin %d: status %d code %q", i, pair[k].name, k, s, codes[k])
						}
						if u, err := srv.Store.GetUser(ctx, ids[k]); err == nil && u.IsAdmin && !u.Disabled {
							survivors = append(survivors, u.ID)
						}
					}
					if n > 0 && statuses[0] < 300 && statuses[1] < 300 {
						t.Errorf("trial %d: both changes succeeded, yet %d admins remain", i, n)
					}
					if n == 0 {
						// Put one back so the next trial starts from a known state.
						if _, err := srv.Store.UpdateUser(ctx, boot.ID, 0, func(u *store.User) error { u.IsAdmin, u.Disabled = true, false; return nil }, store.Meta{}); err != nil {
							t.Fatal(err)
						}
						survivors = append(survivors, boot.ID)
					}
				}
				t.Logf("%d of %d trials ended with no enabled admin; %d requests lost with 409 last_admin", zero, trials, conflicts)
				if zero > 0 {
					t.Errorf("%d of %d trials ended with no enabled admin", zero, trials)
				}
			})
		}
	})
}

// TestLastAdminInOperations: atomic operations go through the same rule:
// demoting or removing the only enabled admin in a batch fails the whole
// batch with 409 last_admin, and nothing of it is written.
func TestLastAdminInOperations(t *testing.T) {
	srv := testserver.Start(t)
	boot, err := srv.Store.GetUserByUsername(context.Background(), server.BootstrapUsername)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []map[string]any{
		{"op": "update", "ref": map[string]any{"type": "users", "id": boot.ID},
			"data": map[string]any{"type": "users", "id": boot.ID, "attributes": map[string]any{"is-admin": false}}},
		{"op": "update", "ref": map[string]any{"type": "users", "id": boot.ID},
			"data": map[string]any{"type": "users", "id": boot.ID, "attributes": map[string]any{"disabled": true}}},
		{"op": "remove", "ref": map[string]any{"type": "users", "id": boot.ID}},
	} {
		r := opsCall(t, srv, addUserOp("bystander", "bystander@example.com"), op)
		if r.Status != http.StatusConflict || r.Errors(t)[0].Code != api.CodeLastAdmin {
			t.Fatalf("%v of the only admin in a batch: %d %s; want 409 last_admin", op["op"], r.Status, r.Body)
		}
		if _, err := srv.Store.GetUserByUsername(context.Background(), "bystander"); err == nil {
			t.Fatal("the refused batch's other operation was written")
		}
	}
}
