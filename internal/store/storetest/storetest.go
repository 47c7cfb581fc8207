// Package storetest is the conformance suite every store.Store backend
// runs: the documented behaviour of each method, checked the same way on
// SQLite and on PostgreSQL (after dex's storage/conformance).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/rollcall/rollcall/internal/store"
)

// Run runs every conformance test. open returns a store on a fresh, empty
// database and arranges for it to be closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"UserCreateGet", testUserCreateGet},
		{"UserConflicts", testUserConflicts},
		{"UserUpdate", testUserUpdate},
		{"UserUpdateNoop", testUserUpdateNoop},
		{"UserUpdatePrecondition", testUserUpdatePrecondition},
		{"UserUpdateGroups", testUserUpdateGroups},
		{"UserDeleteCascades", testUserDeleteCascades},
		{"LastAdmin", testLastAdmin},
		{"LastAdminRace", testLastAdminRace},
		{"ListUsersPaging", testListUsersPaging},
		{"ListUsersDefaultLimit", testListUsersDefaultLimit},
		{"ListUsersFilters", testListUsersFilters},
		{"ListGroupMembers", testListGroupMembers},
		{"ListUsersPage", testListUsersPage},
		{"ListUsersPageCountLimit", testListUsersPageCountLimit},
		{"Counts", testCounts},
		{"GroupCRUD", testGroupCRUD},
		{"GroupDelete", testGroupDelete},
		{"GroupCustomClaims", testGroupCustomClaims},
		{"ListGroups", testListGroups},
		{"GetGroups", testGetGroups},
		{"GroupMemberIDs", testGroupMemberIDs},
		{"GroupMembers", testGroupMembers},
		{"ChangeUserGroups", testChangeUserGroups},
		{"ChangeGroupMembers", testChangeGroupMembers},
		{"MembershipReferences", testMembershipReferences},
		{"MembershipPrecondition", testMembershipPrecondition},
		{"ConcurrentMemberships", testConcurrentMemberships},
		{"Tokens", testTokens},
		{"TokenPaging", testTokenPaging},
		{"TokenCap", testTokenCap},
		{"TouchTokens", testTouchTokens},
		{"AtomicCommit", testAtomicCommit},
		{"AtomicRollback", testAtomicRollback},
		{"AtomicVersions", testAtomicVersions},
		{"AuditList", testAuditList},
		{"InvalidCursor", testInvalidCursor},
		{"ConcurrentCreate", testConcurrentCreate},
		{"CreateUsers", testCreateUsers},
		{"CreateUsersErrors", testCreateUsersErrors},
		{"ListSessions", testListSessions},
		{"DeleteUserSessions", testDeleteUserSessions},
		{"DeleteUserSession", testDeleteUserSession},
		{"RevokePasskeysEndsSessions", testRevokePasskeysEndsSessions},
		{"OlderSetupLinkDies", testOlderSetupLinkDies},
		{"SetupLinkLifecycle", testSetupLinkLifecycle},
		{"FirstAdminLink", testFirstAdminLink},
		{"BootstrapTokens", testBootstrapTokens},
		{"OIDCClients", testOIDCClients},
		{"OIDCCodeSingleUse", testOIDCCodeSingleUse},
		{"OIDCTokenHolder", testOIDCTokenHolder},
		{"OIDCRefreshRotation", testOIDCRefreshRotation},
		{"OIDCKeys", testOIDCKeys},
		{"OIDCConsents", testOIDCConsents},
		{"SetupLinkRaces", testSetupLinkRaces},
		{"OIDCDevice", testOIDCDevice},
		{"OIDCBackchannelLogout", testOIDCBackchannelLogout},
		{"OIDCLogoutTriggers", testOIDCLogoutTriggers},
		{"Search", testSearch},
		{"SortMissing", testSortMissing},
		{"PatchGroupMembers", testPatchGroupMembers},
		{"SetGroupMembers", testSetGroupMembers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// RunRestart checks that everything written is there after the store is
// closed and opened again on the same database. newDSN makes a fresh
// database; open opens one (and closes it at the end of the test, if still
// open; closing twice must be harmless).
func RunRestart(t *testing.T, newDSN func(t *testing.T) string, open func(t *testing.T, dsn string) store.Store) {
	t.Run("Restart", func(t *testing.T) { testRestart(t, newDSN(t), open) })
}

var ctx = context.Background()

// meta is the actor of the suite's changes.
var meta = store.Meta{ActorID: "actor-1", ActorName: "suite", RequestID: "req-1", ClientIP: "192.0.2.7"}

func createUser(t *testing.T, s store.Store, username string, groups ...string) store.User {
	t.Helper()
	u, err := s.CreateUser(ctx, store.User{Username: username, Email: username + "@example.com", GroupIDs: groups}, meta)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

func createGroup(t *testing.T, s store.Store, name string, members ...string) store.Group {
	t.Helper()
	g, err := s.CreateGroup(ctx, store.Group{Name: name, MemberIDs: members}, meta)
	if err != nil {
		t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

func getUser(t *testing.T, s store.Store, id string) store.User {
	t.Helper()
	u, err := s.GetUser(ctx, id)
	if err != nil {
		t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

func getGroup(t *testing.T, s store.Store, id string) store.Group {
	t.Helper()
	g, err := s.GetGroup(ctx, id)
	if err != nil {
		t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// allAudit returns every audit event matching f, newest first.
func allAudit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	p := store.Page{Limit: 1000}
	for {
		evs, next, err := s.ListAuditEvents(ctx, f, p)
		if err != nil {
			t.Fatalf("ListAuditEvents: %v", err)
		}
		out = append(out, evs...)
		if next == "" {
			return out
		}
		p.After = next
	}
}

func countAudit(t *testing.T, s store.Store) int {
	t.Helper()
	return len(allAudit(t, s, store.AuditFilter{}))
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// wantConflict fails unless err is a *store.ConflictError on field.
func wantConflict(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("%s: got error %v, want a conflict on %s", what, err, field)
	}
	if ce.Field != field {
		t.Fatalf("%s: conflict on %q, want %q", what, ce.Field, field)
	}
}

// wantRefs fails unless err is a *store.ReferenceError for these ids.
func wantRefs(t *testing.T, what string, err error, kind string, ids ...string) {
	t.Helper()
	var re *store.ReferenceError
	if !errors.As(err, &re) || !errors.Is(err, store.ErrInvalidReference) {
		t.Fatalf("%s: got error %v, want a reference error for %s %v", what, err, kind, ids)
	}
	if re.Kind != kind || !reflect.DeepEqual(re.IDs, ids) {
		t.Fatalf("%s: reference error for %s %v, want %s %v", what, re.Kind, re.IDs, kind, ids)
	}
}

// jsonEqual fails unless raw holds the same JSON value as want (given as
// a Go value, encoded the way json.Marshal does), or both are absent.
func jsonEqual(t *testing.T, what string, raw json.RawMessage, want any) {
	t.Helper()
	if want == nil {
		if raw != nil && string(raw) != "null" {
			t.Errorf("%s: got %s, want nothing", what, raw)
		}
		return
	}
	var got, exp any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Errorf("%s: %q is not JSON: %v", what, raw, err)
		return
	}
	b, _ := json.Marshal(want)
	_ = json.Unmarshal(b, &exp)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s: got %s, want %s", what, raw, b)
	}
}

// obj is a JSON object literal for jsonEqual.
type obj = map[string]any

func uid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
