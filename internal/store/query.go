package store

import "context"

// Cond is one node of a search over users or groups: a SCIM filter
// (RFC 7644 §3.4.2.2) after the SCIM layer has named its attributes in the
// store's words. The SCIM package translates, the store turns the tree into
// one SQL WHERE clause, so that a filter runs in the database and the ones
// clients send (userName eq, externalId eq, emails eq, meta.lastModified gt)
// are index lookups rather than a scan of every user in memory.
type Cond struct {
	// Op is "and", "or" or "not" (over Sub), or a comparison of Field with
	// Value: "eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le";
	// or "true" or "false", a condition the SCIM layer decided itself (such
	// as emails[type eq "work"], which every user's one email matches).
	Op    string
	Field string // a comparison's field, one of the Field… constants
	Value any    // string, bool or time.Time; nil for "pr"
	Sub   []Cond
}

// Fields a Cond may compare. String fields other than FieldExternalID
// compare case-insensitively, as RFC 7643 has userName, emails and names.
// FieldGroup (on users) and FieldMember (on groups) take only "eq" and
// "pr": they name a related id.
const (
	FieldUsername    = "username"
	FieldEmail       = "email"
	FieldExternalID  = "external-id"  // users: external-id; groups: attributes.external_id
	FieldDisplayName = "display-name" // users: display name; groups: friendly name
	FieldFirstName   = "first-name"
	FieldLastName    = "last-name"
	FieldName        = "name" // groups
	FieldDisabled    = "disabled"
	FieldCreatedAt   = "created-at"
	FieldUpdatedAt   = "updated-at"
	FieldGroup       = "group"  // users: a group the user is in
	FieldMember      = "member" // groups: a member user
	FieldID          = "id"
)

// Query asks for one page of a search: the records matching Where (all
// when nil), ordered by username (users) or name (groups), skipping
// Offset of them, at most Limit (≤ 1000; 0 returns only the total).
type Query struct {
	Where  *Cond
	Offset int
	Limit  int
	// After, when set, starts the page after this username (group name),
	// and Offset counts from there: a page deep into a million users is
	// then an index range, where an OFFSET walks every row before it.
	After string
	// Desc orders the page by username (name) descending; After then
	// starts before that username.
	Desc bool
	// SortBy orders the page by this field instead, then by username
	// (name): on users FieldID, FieldLastName, FieldDisplayName (the
	// display name, else "first last"), FieldUpdatedAt or FieldExternalID;
	// on groups FieldID or FieldDisplayName (the friendly name, else the
	// name). Each has an index in that order. "" (or FieldUsername,
	// FieldName) is the username (name). After takes only "".
	SortBy string
	// NoCount leaves the total out (returned as -1) for a caller that
	// knows it already: counting every match is a scan of them all.
	NoCount bool
}

// Searcher is implemented by stores that run Conds in the database; the
// SCIM endpoint needs it. Total counts every match, not only the page.
type Searcher interface {
	SearchUsers(ctx context.Context, q Query) (users []User, total int, err error)
	SearchGroups(ctx context.Context, q Query) (groups []Group, total int, err error)
	// PatchGroupMembers removes then adds members of one group without
	// reading or rewriting the others (a SCIM PATCH of a large group). The
	// Group returned has no MemberIDs. Unknown added ids fail the whole
	// change with a *ReferenceError; removing a non-member is no change.
	// ifVersion > 0 makes it fail with ErrPreconditionFailed unless the
	// group is at that version.
	PatchGroupMembers(ctx context.Context, groupID string, ifVersion int64, add, remove []string, m Meta) (Group, error)
	// SetGroupMembers makes userIDs the whole member list of one group
	// (a SCIM PUT with members, a replace of members) set-based in the
	// database: the members not among userIDs are deleted and the missing
	// ones inserted, without reading the group's other members; an empty
	// userIDs removes them all with one DELETE. Otherwise it is
	// PatchGroupMembers: no MemberIDs in the Group returned, the users
	// added and removed and the group bumped, an audit event with the ids
	// added and removed, a *ReferenceError for unknown ids, ifVersion.
	SetGroupMembers(ctx context.Context, groupID string, ifVersion int64, userIDs []string, m Meta) (Group, error)
	// UpdateGroupAttrs is UpdateGroup for a change that leaves the
	// members alone: the group is read without them (MemberIDs is nil in
	// mutate, and must stay nil), so renaming a group of 50,000 does not
	// read the 50,000.
	UpdateGroupAttrs(ctx context.Context, id string, ifVersion int64, mutate func(*Group) error, m Meta) (Group, error)
	// GroupMembers returns the members of each of these groups with the
	// name a SCIM response shows for them, in one query however many
	// groups there are; like GroupMemberIDs, sorted by id, never nil.
	GroupMembers(ctx context.Context, groupIDs []string) (map[string][]Member, error)
}

// Member is a member of a group as a SCIM client sees it: the user's id
// and display name (the user's display name, else "first last", else the
// username).
type Member struct {
	ID      string
	Display string
}
