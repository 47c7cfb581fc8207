// Package store is Rollcall's persistence: one Store interface, implemented
// once over database/sql for SQLite and PostgreSQL (package sqlstore), and a
// conformance suite (storetest) that every backend runs.
//
// Every write takes a Meta and records its audit event in the same
// transaction as the change, so the log cannot miss or invent a change.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sentinel errors. Missing records are ErrNotFound, never a nil record.
var (
	ErrNotFound           = errors.New("store: not found")
	ErrConflict           = errors.New("store: conflict")
	ErrPreconditionFailed = errors.New("store: version mismatch")
	ErrInvalidReference   = errors.New("store: reference to a missing record")
	ErrInvalidCursor      = errors.New("store: invalid page cursor")
	// ErrLastAdmin refuses an UpdateUser or DeleteUser that would leave no
	// enabled admin (is an admin, not disabled) where there was one, so
	// that someone can always manage the directory. The store checks it
	// under a lock that every such change takes, so two changes racing to
	// remove the last two admins cannot both succeed.
	ErrLastAdmin = errors.New("store: the change would leave no enabled admin")
	// ErrTooManyTokens refuses a CreateTokenWithin whose owner already
	// holds as many live tokens as allowed.
	ErrTooManyTokens = errors.New("store: the user holds too many live tokens")
)

// ConflictError says which unique field collided: "id", "username",
// "email", "name" (group), "token". It matches ErrConflict with errors.Is.
type ConflictError struct{ Field string }

func (e *ConflictError) Error() string        { return "store: conflict on " + e.Field }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ReferenceError says which referenced ids do not exist. It matches
// ErrInvalidReference with errors.Is.
type ReferenceError struct {
	Kind string // "user" or "group"
	IDs  []string
}

func (e *ReferenceError) Error() string        { return "store: unknown " + e.Kind + " ids" }
func (e *ReferenceError) Is(target error) bool { return target == ErrInvalidReference }

// BatchError says which item of a bulk call (CreateUsers) failed: Err is
// the error that item alone would have returned from the single-record
// method (a *ConflictError naming the field, a *ReferenceError naming the
// ids), and nothing of the call was written. errors.Is and errors.As see
// through it to Err.
type BatchError struct {
	Index int // 0-based, in the order given
	Err   error
}

func (e *BatchError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

// Meta says who makes a change and from where; it becomes the audit event's
// actor and request columns.
type Meta struct {
	ActorID   string // empty for the system (bootstrap, migrations)
	ActorName string
	RequestID string
	ClientIP  string
}

// User is a stored user. Optional strings are "" when unset.
type User struct {
	ID             string
	Username       string
	Email          string
	EmailVerified  bool
	FirstName      string
	LastName       string
	DisplayName    string // as set; the API computes "first last" when empty
	Locale         string
	IsAdmin        bool
	Disabled       bool
	ServiceAccount bool
	Phone          string
	Mobile         string
	Title          string
	Department     string
	AvatarURL      string
	ExternalID     string
	ExternalSource string
	Attributes     map[string]string // never nil when read
	GroupIDs       []string          // sorted; never nil when read
	PasskeyCount   int
	LastSignInAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64 // bumped by every change to the user or its memberships; the ETag
}

// GroupLabel is what names a group: its id, name and friendly name.
type GroupLabel struct {
	ID, Name, FriendlyName string
}

// Group is a stored group.
type Group struct {
	ID           string
	Name         string
	FriendlyName string
	Description  string
	Attributes   map[string]string
	// CustomClaims are merged into the ID tokens, userinfo, introspection
	// answers and JWT access tokens of the members (claim name to a
	// compact JSON value); never nil once stored.
	CustomClaims map[string]json.RawMessage
	MemberIDs    []string // sorted; filled (never nil) by GetGroup and GetGroupByName only, nil in lists
	MemberCount  int      // always filled
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Token is a stored API token. Only the SHA-256 of the secret is kept.
type Token struct {
	ID         string
	UserID     string
	Name       string
	Hash       []byte   // SHA-256 of the whole token string
	Prefix     string   // first characters of the token, for display
	Scopes     []string // ScopeAdmin and/or ScopeSCIM; empty on create means ScopeAdmin
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// Token scopes: which part of the server a token reaches. ScopeAdmin is the
// whole REST API with the rights of the token's owner (what every token
// could do before scopes existed); ScopeSCIM is /scim/v2 only, for the
// token an HR system or Okta/Entra ID holds.
const (
	ScopeAdmin = "admin"
	ScopeSCIM  = "scim"
)

// NormalizeScopes returns scopes sorted without repeats, ScopeAdmin alone
// when none are given, so that equal sets are stored alike.
func NormalizeScopes(scopes []string) []string {
	if len(scopes) == 0 {
		return []string{ScopeAdmin}
	}
	out := slices.Clone(scopes)
	slices.Sort(out)
	return slices.Compact(out)
}

// HasScope reports whether t carries scope.
func (t *Token) HasScope(scope string) bool { return slices.Contains(NormalizeScopes(t.Scopes), scope) }

// TokenOwner is what authenticating and authorizing a request needs of a
// token's user; the rest of the user (groups, attributes) is loaded only by
// the handlers that need it.
type TokenOwner struct {
	ID       string
	Username string
	IsAdmin  bool
	Disabled bool
}

// AuditEvent is one recorded change.
type AuditEvent struct {
	ID         string
	Seq        int64 // insertion order, for cursors
	Action     string
	ActorID    string
	ActorName  string
	TargetType string
	TargetID   string
	TargetName string
	Before     json.RawMessage // changed fields before, as a JSON object, or nil
	After      json.RawMessage // changed fields after, or nil
	RequestID  string
	ClientIP   string
	CreatedAt  time.Time
}

// Page asks for one page of a list. After is the opaque cursor returned as
// Next by the previous page; Limit is at most 1000.
type Page struct {
	After string
	Limit int
}

// UserFilter narrows ListUsers; empty fields do not filter.
type UserFilter struct {
	Username   string // exact, after normalisation
	Email      string // exact, case-insensitive
	ExternalID string // exact
	GroupID    string // members of this group
	Query      string // case-insensitive prefix of username, email, first or last name
}

// UserListQuery asks for one page of the admin console's user list:
// filters, one sort order and a page by position. Empty fields do not
// filter.
type UserListQuery struct {
	Query   string // case-insensitive prefix of username, email, first or last name
	GroupID string // members of this group
	Status  string // UserStatusActive, …; "" for all
	Sort    string // UserSortName (default), UserSortLastSignIn or UserSortStatus
	Desc    bool   // descending: newest sign-in first, Z to A
	Offset  int    // users to skip
	Limit   int    // page size, 1 to 1000
	// CountLimit, when above 0, lets the count of matches stop early:
	// counting every one of tens of thousands of matches of a search, or
	// of a status within a group, is most of a page's time. The total is
	// then exact up to max(CountLimit, Offset+Limit) matches, and past
	// that says only "more than" (UserListPage.TotalCapped). The count of
	// every user, of one status or of one group's members is one index
	// range and always exact, as is the total on a page that turns out to
	// be the last.
	CountLimit int
}

// UserListCountLimit is the CountLimit the admin console asks for: its user
// list says how many match up to 10,000, and "more than 10,000" past that.
const UserListCountLimit = 10_000

// UserListPage is one page of the console's user list and how many users
// match its query.
type UserListPage struct {
	Users []User
	// Total is how many users match, or, with TotalCapped, how many were
	// counted before the count stopped (UserListQuery.CountLimit): more
	// users than Total match, at least one past the page.
	Total       int
	TotalCapped bool
}

// The statuses a user list can be filtered by, as the console shows them.
// A disabled service account is disabled; a service account is never
// pending setup.
const (
	UserStatusActive         = "active"
	UserStatusPendingSetup   = "pending-setup"
	UserStatusDisabled       = "disabled"
	UserStatusServiceAccount = "service-account"
)

// The orders of a user list. Ties are broken by username; users who never
// signed in come before everyone else in ascending order.
const (
	UserSortName       = "name"
	UserSortLastSignIn = "last-sign-in"
	UserSortStatus     = "status"
)

// GroupFilter narrows ListGroups.
type GroupFilter struct {
	Name   string
	Query  string // prefix of name or friendly name
	UserID string // groups this user is a member of
}

// AuditFilter narrows ListAuditEvents.
type AuditFilter struct {
	ActorID  string
	TargetID string
	Action   string // exact, or a prefix ending in "." such as "user."
	Since    time.Time
	Until    time.Time
}

// TokenFilter narrows ListTokens.
type TokenFilter struct {
	UserID string
}

// MembershipOp says how a membership change applies its ids.
type MembershipOp int

const (
	MembershipReplace MembershipOp = iota // the ids become the whole set
	MembershipAdd                         // the ids are added; present ones are kept
	MembershipRemove                      // the ids are removed; absent ones are ignored
)

// Store is Rollcall's persistence. Every method takes ctx first. Reads of a
// missing record return ErrNotFound; uniqueness violations return a
// *ConflictError found by the database, not by a check-then-insert.
type Store interface {
	// CreateUser inserts u (ID proposed or generated when empty, GroupIDs as
	// its memberships) and returns it as stored.
	CreateUser(ctx context.Context, u User, m Meta) (User, error)
	// CreateUsers creates users as CreateUser would one after another, with
	// the same records and audit events, all or none, but with a few
	// multi-row statements (bulk import). When one would fail, nothing is
	// written and the error is a *BatchError naming the first such user.
	CreateUsers(ctx context.Context, users []User, m Meta) ([]User, error)
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByUsername(ctx context.Context, username string) (User, error)
	// UpdateUser loads the user inside a write transaction, lets mutate
	// change it (ID, Version and timestamps are ignored; GroupIDs replaces
	// memberships when changed), and stores it. ifVersion > 0 makes the
	// update fail with ErrPreconditionFailed unless it matches. An error
	// from mutate aborts the transaction and is returned as is. Demoting
	// or disabling the last enabled admin fails with ErrLastAdmin.
	UpdateUser(ctx context.Context, id string, ifVersion int64, mutate func(*User) error, m Meta) (User, error)
	// DeleteUser removes the user with its memberships, tokens, passkeys and
	// sessions. Deleting the last enabled admin fails with ErrLastAdmin.
	DeleteUser(ctx context.Context, id string, ifVersion int64, m Meta) error
	// ListUsers returns users ordered by username, and the cursor of the
	// next page ("" on the last page). With a Query, the users whose
	// username matches come first (by username), then those matched by
	// email, first name, last name (each by that field), each user once:
	// every page is then one index range, fast at a million users.
	ListUsers(ctx context.Context, f UserFilter, p Page) (users []User, next string, err error)
	CountUsers(ctx context.Context) (int, error)
	// ListUsersPage returns a page of the console's user list in the
	// query's order, and how many users match the filters in all (or, past
	// q.CountLimit, that more than so many do).
	ListUsersPage(ctx context.Context, q UserListQuery) (UserListPage, error)
	// CountAdmins counts enabled admin users.
	CountAdmins(ctx context.Context) (int, error)

	CreateGroup(ctx context.Context, g Group, m Meta) (Group, error)
	GetGroup(ctx context.Context, id string) (Group, error)
	GetGroupByName(ctx context.Context, name string) (Group, error)
	UpdateGroup(ctx context.Context, id string, ifVersion int64, mutate func(*Group) error, m Meta) (Group, error)
	DeleteGroup(ctx context.Context, id string, ifVersion int64, m Meta) error
	ListGroups(ctx context.Context, f GroupFilter, p Page) (groups []Group, next string, err error)
	// GetGroups returns the groups with these ids, in the order given;
	// missing ids are left out.
	GetGroups(ctx context.Context, ids []string) ([]Group, error)
	// GroupLabels is GetGroups without counting each group's members:
	// what a person's page or SCIM resource shows of their groups, at the
	// same cost however large the groups are.
	GroupLabels(ctx context.Context, ids []string) ([]GroupLabel, error)
	// GroupMemberIDs returns the member ids of each of these groups,
	// sorted and never nil, with one query however many groups there are,
	// so that a page of groups with their members is two queries. Ids of
	// missing groups map to an empty list.
	GroupMemberIDs(ctx context.Context, groupIDs []string) (map[string][]string, error)

	// ChangeUserGroups and ChangeGroupMembers change memberships from
	// either side in one transaction, bumping the version of every user and
	// group whose set changed, and auditing it. Unknown ids fail the whole
	// change with a *ReferenceError. ifVersion > 0 makes the change fail
	// with ErrPreconditionFailed unless it is the version of the user
	// (ChangeUserGroups) or group (ChangeGroupMembers) whose set changes,
	// so a client that replaces a set it read cannot drop a member added
	// meanwhile.
	ChangeUserGroups(ctx context.Context, userID string, ifVersion int64, op MembershipOp, groupIDs []string, m Meta) (User, error)
	ChangeGroupMembers(ctx context.Context, groupID string, ifVersion int64, op MembershipOp, userIDs []string, m Meta) (Group, error)

	CreateToken(ctx context.Context, t Token, m Meta) (Token, error)
	// CreateTokenWithin is CreateToken for an owner who may hold at most
	// maxLive live tokens (not expired; a revoked token is deleted): when
	// the owner holds maxLive or more already, it stores nothing and fails
	// with ErrTooManyTokens. It counts under a lock on the owner, so
	// concurrent creates cannot pass the cap together. maxLive <= 0 is no cap.
	CreateTokenWithin(ctx context.Context, t Token, maxLive int, m Meta) (Token, error)
	// CountLiveTokens counts the user's tokens that have not expired at now.
	CountLiveTokens(ctx context.Context, userID string, now time.Time) (int, error)
	GetToken(ctx context.Context, id string) (Token, error)
	// GetTokenByHash finds a token by the SHA-256 of its secret.
	GetTokenByHash(ctx context.Context, hash []byte) (Token, error)
	// GetTokenAndOwner is GetTokenByHash with what authorization needs of
	// the token's user, read together in one statement: every API request
	// authenticates, so this is the hottest read there is. sqlstore keeps
	// recent answers until its next write, or a second at most.
	GetTokenAndOwner(ctx context.Context, hash []byte) (Token, TokenOwner, error)
	ListTokens(ctx context.Context, f TokenFilter, p Page) (tokens []Token, next string, err error)
	DeleteToken(ctx context.Context, id string, m Meta) error
	// TouchTokens records last use of several tokens at once; the server
	// batches these off the request path, at most once a minute per token.
	TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error

	ListAuditEvents(ctx context.Context, f AuditFilter, p Page) (events []AuditEvent, next string, err error)

	// Atomic runs fn with a Store whose every method joins one
	// transaction: all of fn's writes commit together or none do (JSON:API
	// Atomic Operations, bulk import). Calling Atomic inside fn joins the
	// same transaction.
	Atomic(ctx context.Context, fn func(tx Store) error) error

	// Ping checks the database is reachable, for /readyz.
	Ping(ctx context.Context) error
	Close() error
}

// ReadLimiter is implemented by a Store whose reads are CPU work in this
// process, such as SQLite's: ReadConcurrency is how many of them are worth
// running at once, beyond which they only take turns on the same cores.
// Zero means reads run elsewhere (PostgreSQL) and need no limit here.
type ReadLimiter interface {
	ReadConcurrency() int
}
