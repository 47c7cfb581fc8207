package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestConcurrentCreatesWithDuplicates sends 64 creates at once — most of
// them new users, some repeating a username, some an email in another
// case, some naming a group that does not exist — so that the store writes
// them in shared transactions (group commit). Each request must get the
// answer it would get alone: 201 with its own user, 409 naming the taken
// field, 422 pointing at the unknown group; and every 201 user is stored
// with exactly one audit event.
func TestConcurrentCreatesWithDuplicates(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		group := createGroup(t, srv, "staff")
		missing := uuid.NewString()
		type outcome struct {
			attrs map[string]any
			r     resp
		}
		const n = 64
		out := make([]outcome, n)
		for i := range out {
			a := map[string]any{"username": fmt.Sprintf("user%02d", i), "email": fmt.Sprintf("user%02d@example.com", i)}
			switch i % 8 {
			case 1:
				a["username"] = "dup" // 8 requests: one 201, seven 409
			case 2:
				// 8 requests with one email in two cases: one 201, seven 409
				a["email"] = "shared@example.com"
				if i%16 == 10 {
					a["email"] = "SHARED@Example.COM"
				}
			}
			out[i].attrs = a
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range out {
			body := userBody(out[i].attrs)
			switch {
			case i%8 == 3:
				body["data"].(map[string]any)["relationships"] = map[string]any{"groups": map[string]any{"data": []any{
					map[string]any{"type": "groups", "id": group.ID}, map[string]any{"type": "groups", "id": missing}}}}
			case i%8 == 4:
				body["data"].(map[string]any)["relationships"] = map[string]any{"groups": map[string]any{"data": []any{
					map[string]any{"type": "groups", "id": group.ID}}}}
			}
			wg.Go(func() {
				<-start
				out[i].r = call(t, srv, req{method: "POST", path: "/api/v1/users", token: srv.AdminToken, body: body})
			})
		}
		close(start)
		wg.Wait()

		created := map[string]string{} // id → username
		dupWins, sharedWins := 0, 0
		var members []string
		for i, o := range out {
			switch {
			case o.r.Status == http.StatusCreated:
				var doc api.Document[api.User]
				if err := json.Unmarshal(o.r.Body, &doc); err != nil {
					t.Fatal(err)
				}
				u := doc.Data
				if u.Attributes.Username != o.attrs["username"] || !strings.EqualFold(u.Attributes.Email, o.attrs["email"].(string)) ||
					o.r.Header.Get("Location") != srv.URL+"/api/v1/users/"+u.ID || o.r.Header.Get("ETag") == "" {
					t.Errorf("request %d (%v) answered with another user or without headers: %s %v", i, o.attrs, o.r.Body, o.r.Header)
				}
				created[u.ID] = u.Attributes.Username
				switch {
				case i%8 == 1:
					dupWins++
				case i%8 == 2:
					sharedWins++
				case i%8 == 3:
					t.Errorf("request %d named an unknown group but got 201", i)
				case i%8 == 4:
					members = append(members, u.ID)
					if len(u.Relationships.Groups.Data) != 1 || u.Relationships.Groups.Data[0].ID != group.ID {
						t.Errorf("request %d: groups %v, want %s", i, u.Relationships.Groups.Data, group.ID)
					}
				}
			case i%8 == 1:
				wantError(t, o.r, http.StatusConflict, api.CodeUsernameTaken, "/data/attributes/username")
			case i%8 == 2:
				wantError(t, o.r, http.StatusConflict, api.CodeEmailTaken, "/data/attributes/email")
			case i%8 == 3:
				e := wantError(t, o.r, http.StatusUnprocessableEntity, api.CodeInvalidReference, "/data/relationships/groups/data/1/id")
				if !strings.Contains(e.Detail, missing) {
					t.Errorf("request %d: detail %q does not name %s", i, e.Detail, missing)
				}
			default:
				t.Errorf("request %d (%v): status %d %s", i, o.attrs, o.r.Status, o.r.Body)
			}
		}
		if dupWins != 1 || sharedWins != 1 {
			t.Errorf("%d creates of username dup and %d of email shared@ succeeded, want 1 each", dupWins, sharedWins)
		}
		if want := n - 7 - 7 - 8; len(created) != want {
			t.Errorf("%d users created, want %d", len(created), want)
		}

		// Every 201 is stored, with one audit event, and nothing else is.
		r := call(t, srv, req{method: "GET", path: "/api/v1/users?page[size]=1000", token: srv.AdminToken})
		mustStatus(t, r, http.StatusOK)
		var list api.Document[[]api.User]
		if err := json.Unmarshal(r.Body, &list); err != nil {
			t.Fatal(err)
		}
		stored := 0
		for _, u := range list.Data {
			if u.Attributes.ServiceAccount {
				continue // the bootstrap admin
			}
			stored++
			if created[u.ID] != u.Attributes.Username {
				t.Errorf("stored user %s %s was not answered with 201", u.ID, u.Attributes.Username)
			}
		}
		if stored != len(created) {
			t.Errorf("%d users stored, %d answered with 201", stored, len(created))
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/audit-events?filter[action]=user.create&page[size]=1000", token: srv.AdminToken})
		mustStatus(t, r, http.StatusOK)
		var events struct {
			Data []struct {
				Attributes struct {
					TargetID   string `json:"target-id"`
					TargetName string `json:"target-name"`
					RequestID  string `json:"request-id"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Body, &events); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		requests := map[string]bool{}
		for _, e := range events.Data {
			if _, ok := created[e.Attributes.TargetID]; ok {
				seen[e.Attributes.TargetID]++
				requests[e.Attributes.RequestID] = true
				if e.Attributes.TargetName != created[e.Attributes.TargetID] {
					t.Errorf("audit event for %s names %s", created[e.Attributes.TargetID], e.Attributes.TargetName)
				}
			}
		}
		for id, name := range created {
			if seen[id] != 1 {
				t.Errorf("user %s has %d user.create events, want 1", name, seen[id])
			}
		}
		if len(requests) != len(created) {
			t.Errorf("the %d creates' events carry %d request ids, want one each", len(created), len(requests))
		}
		g := call(t, srv, req{method: "GET", path: "/api/v1/groups/" + group.ID, token: srv.AdminToken})
		for _, id := range members {
			if !strings.Contains(string(g.Body), id) {
				t.Errorf("group staff lacks member %s: %s", id, g.Body)
			}
		}
	})
}
