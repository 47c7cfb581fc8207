package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// opsCall posts an atomic operations document as the admin.
func opsCall(t *testing.T, srv *testserver.Server, ops ...map[string]any) resp {
	t.Helper()
	return call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken,
		body:   map[string]any{"atomic:operations": ops},
		header: map[string]string{"Content-Type": api.AtomicMediaType}})
}

func addUserOp(username, email string) map[string]any {
	return map[string]any{"op": "add", "data": map[string]any{"type": "users",
		"attributes": map[string]any{"username": username, "email": email}}}
}

func results(t *testing.T, r resp) []json.RawMessage {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != api.AtomicMediaType {
		t.Errorf("Content-Type = %q, want %q", ct, api.AtomicMediaType)
	}
	var doc struct {
		Results []struct {
			Data json.RawMessage `json:"data"`
		} `json:"atomic:results"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	out := make([]json.RawMessage, len(doc.Results))
	for i, x := range doc.Results {
		out[i] = x.Data
	}
	return out
}

func TestOperations(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)

		// Create a group and two users, put them in it, in one request.
		g := createGroup(t, srv, "staff")
		res := results(t, opsCall(t, srv,
			addUserOp("ann", "ann@example.com"),
			map[string]any{"op": "add", "data": map[string]any{"type": "users", "id": "0b9d6b5e-0000-4000-8000-000000000001",
				"attributes":    map[string]any{"username": "Bob", "email": "bob@example.com", "locale": "de_de"},
				"relationships": map[string]any{"groups": map[string]any{"data": api.Identifiers("groups", []string{g.ID})}}}},
			map[string]any{"op": "add", "data": map[string]any{"type": "groups", "attributes": map[string]any{"name": "ops"}}},
		))
		if len(res) != 3 {
			t.Fatalf("%d results, want 3", len(res))
		}
		var ann, bob api.User
		var ops api.Group
		json.Unmarshal(res[0], &ann)
		json.Unmarshal(res[1], &bob)
		json.Unmarshal(res[2], &ops)
		if ann.Attributes.Username != "ann" || bob.ID != "0b9d6b5e-0000-4000-8000-000000000001" || bob.Attributes.Username != "bob" ||
			*bob.Attributes.Locale != "de-DE" || len(bob.GroupIDs()) != 1 || ops.Attributes.Name != "ops" {
			t.Fatalf("results = %s", res)
		}

		// Update, relationship add and remove in one request.
		res = results(t, opsCall(t, srv,
			map[string]any{"op": "update", "ref": map[string]any{"type": "users", "id": ann.ID},
				"data": map[string]any{"type": "users", "id": ann.ID, "attributes": map[string]any{"title": "CTO"}}},
			map[string]any{"op": "add", "ref": map[string]any{"type": "groups", "id": ops.ID, "relationship": "members"},
				"data": api.Identifiers("users", []string{ann.ID, bob.ID})},
			map[string]any{"op": "remove", "ref": map[string]any{"type": "groups", "id": g.ID, "relationship": "members"},
				"data": api.Identifiers("users", []string{bob.ID})},
			map[string]any{"op": "update", "data": map[string]any{"type": "groups", "id": ops.ID, "attributes": map[string]any{"description": "on call"}}},
		))
		if !strings.Contains(string(res[0]), `"title":"CTO"`) || res[1] != nil || res[2] != nil || !strings.Contains(string(res[3]), "on call") {
			t.Errorf("results = %s", res)
		}
		r := call(t, srv, req{method: "GET", path: "/api/v1/users?filter[group]=ops", token: srv.AdminToken})
		if n := strings.Count(string(r.Body), `"type":"users"`); n != 2 {
			t.Errorf("ops has %d members, want 2: %s", n, r.Body)
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/users?filter[group]=staff", token: srv.AdminToken})
		if n := strings.Count(string(r.Body), `"type":"users"`); n != 0 {
			t.Errorf("staff has %d members, want 0", n)
		}

		// Remove.
		results(t, opsCall(t, srv, map[string]any{"op": "remove", "ref": map[string]any{"type": "users", "id": bob.ID}}))
		mustStatus(t, call(t, srv, req{method: "GET", path: "/api/v1/users/" + bob.ID, token: srv.AdminToken}), http.StatusNotFound)
	})
}

func TestOperationsAreAllOrNothing(t *testing.T) {
	srv := testserver.Start(t)
	createUser(t, srv, map[string]any{"username": "taken", "email": "taken@example.com"})

	// A validation error in operation 1 names it and nothing is created.
	r := opsCall(t, srv, addUserOp("carol", "carol@example.com"), addUserOp("dave", "not an address"))
	e := wantError(t, r, http.StatusUnprocessableEntity, api.CodeInvalidEmail, "/atomic:operations/1/data/attributes/email")
	if !strings.HasPrefix(e.Detail, "operation 1: ") {
		t.Errorf("detail %q does not name the operation", e.Detail)
	}
	// A uniqueness conflict found by the database in operation 2.
	r = opsCall(t, srv, addUserOp("carol", "carol@example.com"), addUserOp("erin", "erin@example.com"), addUserOp("TAKEN", "other@example.com"))
	wantError(t, r, http.StatusConflict, api.CodeUsernameTaken, "/atomic:operations/2/data/attributes/username")
	// An unknown member names the operation and the member.
	r = call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, noValidate: true,
		header: map[string]string{"Content-Type": api.AtomicMediaType},
		body: `{"atomic:operations":[{"op":"add","data":{"type":"users","attributes":{"username":"x","email":"x@example.com"}}},
			{"op":"add","data":{"type":"users","attributes":{"username":"y","email":"y@example.com","shoe-size":"44"}}}]}`})
	wantError(t, r, http.StatusBadRequest, api.CodeUnknownField, "/atomic:operations/1/data/attributes/shoe-size")
	// Updating a missing user.
	r = opsCall(t, srv, map[string]any{"op": "update", "ref": map[string]any{"type": "users", "id": "0b9d6b5e-0000-4000-8000-00000000dead"},
		"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "x"}}})
	wantError(t, r, http.StatusNotFound, api.CodeNotFound, "/atomic:operations/0")

	users := call(t, srv, req{method: "GET", path: "/api/v1/users", token: srv.AdminToken})
	for _, name := range []string{"carol", "dave", "erin", `"x"`} {
		if strings.Contains(string(users.Body), name) {
			t.Errorf("%s exists after failed operations: %s", name, users.Body)
		}
	}
}

func TestOperationsRefusals(t *testing.T) {
	srv := testserver.Start(t)
	many := make([]map[string]any, api.MaxAtomicOperations+1)
	for i := range many {
		many[i] = addUserOp(fmt.Sprintf("u%d", i), fmt.Sprintf("u%d@example.com", i))
	}
	r := call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, noValidate: true,
		body: map[string]any{"atomic:operations": many}, header: map[string]string{"Content-Type": api.AtomicMediaType}})
	e := wantError(t, r, http.StatusRequestEntityTooLarge, api.CodeBodyTooLarge, "/atomic:operations")
	if !strings.Contains(e.Detail, "1001 operations; at most 1000") {
		t.Errorf("detail %q does not give the count and the limit", e.Detail)
	}

	// Without the extension in the media type.
	r = call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken,
		body: map[string]any{"atomic:operations": []any{addUserOp("a", "a@example.com")}}})
	wantError(t, r, http.StatusUnsupportedMediaType, api.CodeUnsupportedMediaType, "")

	// A non-admin.
	tok := srv.NewUserToken(t, "plain", false)
	r = call(t, srv, req{method: "POST", path: "/api/v1/operations", token: tok,
		body: map[string]any{"atomic:operations": []any{addUserOp("a", "a@example.com")}}, header: map[string]string{"Content-Type": api.AtomicMediaType}})
	wantError(t, r, http.StatusForbidden, api.CodeForbidden, "")

	// No token.
	r = call(t, srv, req{method: "POST", path: "/api/v1/operations",
		body: map[string]any{"atomic:operations": []any{addUserOp("a", "a@example.com")}}, header: map[string]string{"Content-Type": api.AtomicMediaType}})
	mustStatus(t, r, http.StatusUnauthorized)

	// Every malformed operation is reported at once, before anything runs.
	r = call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, noValidate: true,
		header: map[string]string{"Content-Type": api.AtomicMediaType},
		body: map[string]any{"atomic:operations": []any{
			map[string]any{"op": "upsert"}, addUserOp("fine", "fine@example.com"),
			map[string]any{"op": "add", "data": map[string]any{"type": "widgets"}}}}})
	mustStatus(t, r, http.StatusBadRequest)
	var ptrs []string
	for _, e := range r.Errors(t) {
		ptrs = append(ptrs, e.Source.Pointer)
	}
	if strings.Join(ptrs, " ") != "/atomic:operations/0/op /atomic:operations/2/data/type" {
		t.Errorf("errors point at %v, want operations 0 and 2", ptrs)
	}

	// Bad operations.
	for _, tc := range []struct {
		op      map[string]any
		code    string
		pointer string
	}{
		{map[string]any{"op": "upsert", "data": map[string]any{"type": "users"}}, api.CodeInvalidDocument, "/atomic:operations/0/op"},
		{map[string]any{"op": "remove"}, api.CodeInvalidDocument, "/atomic:operations/0/ref"},
		{map[string]any{"op": "remove", "ref": map[string]any{"type": "users", "id": "nope"}}, api.CodeInvalidID, "/atomic:operations/0/ref/id"},
		{map[string]any{"op": "add", "data": map[string]any{"type": "api-tokens"}}, api.CodeInvalidDocument, "/atomic:operations/0/data/type"},
		{map[string]any{"op": "update", "ref": map[string]any{"type": "groups", "id": "0b9d6b5e-0000-4000-8000-000000000001", "relationship": "owners"}, "data": []any{}},
			api.CodeInvalidDocument, "/atomic:operations/0/ref/relationship"},
		// Member names are matched exactly, as on POST /users.
		{map[string]any{"op": "add", "data": map[string]any{"type": "users", "attributes": map[string]any{"username": "ann", "email": "ann@example.com", "First-Name": "Ann"}}},
			api.CodeUnknownField, "/atomic:operations/0/data/attributes/First-Name"},
	} {
		r := call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, noValidate: true,
			body: map[string]any{"atomic:operations": []any{tc.op}}, header: map[string]string{"Content-Type": api.AtomicMediaType}})
		if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%v: status %d: %s", tc.op, r.Status, r.Body)
			continue
		}
		wantError(t, r, r.Status, tc.code, tc.pointer)
	}
}

// TestOperationsUserRuns checks that runs of consecutive user adds, which
// the server creates with one bulk store call, behave as the same
// operations applied one by one: errors name the operation, results come
// in request order, and operations between runs see the users before them.
func TestOperationsUserRuns(t *testing.T) {
	testserver.Backends(t, func(t *testing.T, backend testserver.Option) {
		srv := testserver.Start(t, backend)
		g := createGroup(t, srv, "staff")
		createUser(t, srv, map[string]any{"username": "taken", "email": "taken@example.com"})
		inStaff := func(op map[string]any) map[string]any {
			op["data"].(map[string]any)["relationships"] = map[string]any{"groups": map[string]any{"data": api.Identifiers("groups", []string{g.ID})}}
			return op
		}
		run := func(n int) []map[string]any {
			ops := make([]map[string]any, n)
			for i := range ops {
				ops[i] = inStaff(addUserOp(fmt.Sprintf("run-%03d", i), fmt.Sprintf("run-%03d@example.com", i)))
			}
			return ops
		}

		// The same email (in another case) twice in one run: the second names itself.
		ops := run(250)
		ops[180] = addUserOp("run-x", "RUN-003@Example.com")
		wantError(t, opsCall(t, srv, ops...), http.StatusConflict, api.CodeEmailTaken, "/atomic:operations/180/data/attributes/email")

		// An unknown group after a group add that splits the run.
		ops = run(250)
		ops[100] = map[string]any{"op": "add", "data": map[string]any{"type": "groups", "attributes": map[string]any{"name": "ops"}}}
		ops[201]["data"].(map[string]any)["relationships"] = map[string]any{"groups": map[string]any{"data": api.Identifiers("groups",
			[]string{g.ID, "0b9d6b5e-0000-4000-8000-00000000dead"})}}
		e := wantError(t, opsCall(t, srv, ops...), http.StatusUnprocessableEntity, api.CodeInvalidReference,
			"/atomic:operations/201/data/relationships/groups/data/1/id")
		if !strings.HasPrefix(e.Detail, "operation 201: ") {
			t.Errorf("detail %q does not name the operation", e.Detail)
		}

		// A validation error after a conflict: the earlier operation is the error.
		ops = run(20)
		ops[5] = addUserOp("taken", "someone@example.com")
		ops[9] = addUserOp("bad", "not an address")
		wantError(t, opsCall(t, srv, ops...), http.StatusConflict, api.CodeUsernameTaken, "/atomic:operations/5/data/attributes/username")
		ops[5] = addUserOp("fine", "fine@example.com")
		wantError(t, opsCall(t, srv, ops...), http.StatusUnprocessableEntity, api.CodeInvalidEmail, "/atomic:operations/9/data/attributes/email")

		// Nothing of the failed requests exists.
		r := call(t, srv, req{method: "GET", path: "/api/v1/users?filter[group]=staff", token: srv.AdminToken})
		if n := strings.Count(string(r.Body), `"type":"users"`); n != 0 {
			t.Fatalf("staff has %d members after failed requests, want 0", n)
		}

		// Two runs around an update of a user the first run created.
		ops = run(300)
		ops[150] = map[string]any{"op": "update", "ref": map[string]any{"type": "users", "id": "0b9d6b5e-0000-4000-8000-000000000007"},
			"data": map[string]any{"type": "users", "attributes": map[string]any{"title": "Lead"}}}
		ops[7]["data"].(map[string]any)["id"] = "0b9d6b5e-0000-4000-8000-000000000007"
		res := results(t, opsCall(t, srv, ops...))
		if len(res) != 300 {
			t.Fatalf("%d results, want 300", len(res))
		}
		for i, raw := range res {
			var u api.User
			if err := json.Unmarshal(raw, &u); err != nil {
				t.Fatalf("result %d: %v: %s", i, err, raw)
			}
			want := fmt.Sprintf("run-%03d", i)
			if i == 150 {
				want = "run-007"
			}
			if u.Attributes.Username != want {
				t.Fatalf("result %d is %s, want %s", i, u.Attributes.Username, want)
			}
		}
		if !strings.Contains(string(res[150]), `"title":"Lead"`) {
			t.Errorf("updated user: %s", res[150])
		}
		r = call(t, srv, req{method: "GET", path: "/api/v1/users?filter[group]=staff&page[size]=1000", token: srv.AdminToken})
		if n := strings.Count(string(r.Body), `"type":"users"`); n != 299 {
			t.Errorf("staff has %d members, want 299", n)
		}
	})
}

// TestOperationsNegotiateBeforeActing: an operations request whose Accept
// names no media type the server can answer with is refused with 406
// before anything is written, as on every other route.
func TestOperationsNegotiateBeforeActing(t *testing.T) {
	srv := testserver.Start(t)
	body := map[string]any{"atomic:operations": []any{addUserOp("negotiated", "negotiated@example.com")}}
	for _, accept := range []string{
		api.MediaType + "; charset=utf-8",
		api.AtomicMediaType + "; charset=utf-8",
		`application/vnd.api+json; ext="https://example.com/ext/unknown"`,
	} {
		r := call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, body: body,
			header: map[string]string{"Content-Type": api.AtomicMediaType, "Accept": accept}})
		wantError(t, r, http.StatusNotAcceptable, api.CodeNotAcceptable, "")
		if _, err := srv.Store.GetUserByUsername(t.Context(), "negotiated"); err == nil {
			t.Fatalf("Accept %q: 406, but the user was created", accept)
		}
	}
	// The atomic media type itself, and no Accept at all, are fine.
	for _, accept := range []string{api.AtomicMediaType, ""} {
		body := map[string]any{"atomic:operations": []any{addUserOp("ok-"+fmt.Sprint(len(accept)), fmt.Sprintf("ok%d@example.com", len(accept)))}}
		r := call(t, srv, req{method: "POST", path: "/api/v1/operations", token: srv.AdminToken, body: body,
			header: map[string]string{"Content-Type": api.AtomicMediaType, "Accept": accept}})
		mustStatus(t, r, http.StatusOK)
	}
}
