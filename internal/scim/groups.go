package scim

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	filter "github.com/scim2/filter-parser/v2"
)

// attrGroupExternalID keeps a group's SCIM externalId (Entra ID sends the
// group's object id) among the group's attributes.
const attrGroupExternalID = "external_id"

// groupDisplay is a group's SCIM displayName: its friendly name, or its
// name when it has none (a group made through the JSON:API or Terraform).
func groupDisplay(g store.Group) string {
	if g.FriendlyName != "" {
		return g.FriendlyName
	}
	return g.Name
}

// groupResource renders g. members nil leaves members out (lists, and
// excludedAttributes=members, which Entra ID asks for on large groups).
// Each member has its value (the user id), display (the user's display
// name, else username), $ref and type.
func (h *Handler) groupResource(g store.Group, members []store.Member) map[string]any {
	res := map[string]any{
		"schemas":     []string{groupSchema},
		"id":          g.ID,
		"displayName": groupDisplay(g),
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      g.CreatedAt.UTC().Format(time.RFC3339Nano),
			"lastModified": g.UpdatedAt.UTC().Format(time.RFC3339Nano),
			"location":     h.base + "/Groups/" + g.ID,
			"version":      etag(g.Version),
		},
	}
	if x := g.Attributes[attrGroupExternalID]; x != "" {
		res["externalId"] = x
	}
	if members != nil {
		ms := make([]any, len(members))
		for i, m := range members {
			ms[i] = map[string]any{"value": m.ID, "display": m.Display, "$ref": h.base + "/Users/" + m.ID, "type": "User"}
		}
		res["members"] = ms
	}
	return res
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9._@-]+`)

// slug turns a displayName such as "Engineering Team" into a group name
// (engineering-team) that fits the name rules; the displayName itself is
// kept as the friendly name.
func slug(display string) string {
	s := nameUnsafe.ReplaceAllString(api.NormalizeName(display), "-")
	s = strings.Trim(s, "-._@")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-._@")
	}
	return s
}

// groupWrite is a SCIM Group read as a whole.
type groupWrite struct {
	display    string
	externalID string
	members    []string
	hasMembers bool
}

func parseGroup(m map[string]any) (groupWrite, *Error) {
	rd := &reader{}
	for k := range m {
		switch strings.ToLower(k) {
		case "displayname", "externalid", "members", "schemas", "meta", "id":
		default:
			return groupWrite{}, errf(http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("%q is not an attribute of a SCIM Group (%s): it has displayName, externalId and members", k, groupSchema))
		}
	}
	var g groupWrite
	g.display = strings.TrimSpace(rd.str(m, "displayName", "displayName"))
	g.externalID = rd.str(m, "externalId", "externalId")
	if v, ok := get(m, "members"); ok && v != nil {
		g.hasMembers = true
		ids, e := memberIDs(v)
		if e != nil {
			return g, e
		}
		g.members = ids
	}
	if len(rd.errs) > 0 {
		return g, errf(http.StatusBadRequest, "invalidValue", strings.Join(rd.errs, "; "))
	}
	if g.display == "" {
		return g, errf(http.StatusBadRequest, "invalidValue", "displayName is required: the group's name as people see it")
	}
	if e := api.ValidateText("friendly-name", g.display, api.MaxNameLen); e != nil {
		return g, fromValidation(api.Errors{e})
	}
	if e := api.ValidateText("external-id", g.externalID, api.MaxExternalLen); e != nil {
		return g, fromValidation(api.Errors{e})
	}
	return g, nil
}

// memberIDs reads [{"value": id}, …].
func memberIDs(v any) ([]string, *Error) {
	list, ok := v.([]any)
	if !ok {
		if m, isObj := v.(map[string]any); isObj {
			list = []any{m}
		} else {
			return nil, errf(http.StatusBadRequest, "invalidValue", "members must be an array of {\"value\": user id}")
		}
	}
	ids := make([]string, 0, len(list))
	for i, el := range list {
		m, ok := el.(map[string]any)
		var s string
		if ok {
			x, _ := get(m, "value")
			s, _ = x.(string)
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, errf(http.StatusBadRequest, "invalidValue", fmt.Sprintf("members[%d].value must be the id of a user (a UUID), not %q", i, s))
		}
		ids = append(ids, id.String())
	}
	return ids, nil
}

func (h *Handler) writeGroup(w http.ResponseWriter, r *http.Request, status int, g store.Group) {
	members, err := h.st.GroupMembers(r.Context(), []string{g.ID})
	if err != nil {
		h.fail(w, r, err, "group "+g.ID)
		return
	}
	writeResource(w, status, g.Version, h.base+"/Groups/"+g.ID, h.groupResource(g, members[g.ID]))
}

// GET /scim/v2/Groups/{id}
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := userID(r)
	if !ok {
		WriteError(w, errf(http.StatusNotFound, "", "no group has id "+r.PathValue("id")))
		return
	}
	p, e := listParamsOf(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	// The group without its members, then, unless excludedAttributes
	// names them (Entra ID reads groups so), the members with their
	// display names: with members excluded, what may be 50,000 members
	// is not read.
	list, _, err := h.st.SearchGroups(r.Context(), store.Query{Where: &store.Cond{Op: "eq", Field: store.FieldID, Value: id}, Limit: 1, NoCount: true})
	if err == nil && len(list) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err, "group "+id)
		return
	}
	var members []store.Member
	if p.wantMembers() {
		ms, err := h.st.GroupMembers(r.Context(), []string{id})
		if err != nil {
			h.fail(w, r, err, "group "+id)
			return
		}
		members = ms[id]
	}
	writeResource(w, http.StatusOK, list[0].Version, "", project(h.groupResource(list[0], members), p))
}

// findGroups lists groups with their members (two queries for a page),
// unless excludedAttributes names members.
func (h *Handler) findGroups(w http.ResponseWriter, r *http.Request, p listParams) {
	q, e := p.query(groups)
	if e != nil {
		WriteError(w, e)
		return
	}
	start := q.Offset
	known := h.cursors.plan(groups, p.cursorFilter(), &q)
	list, total, err := h.st.SearchGroups(r.Context(), q)
	if err != nil {
		h.fail(w, r, err, "groups")
		return
	}
	if known >= 0 {
		total = known
	}
	last := ""
	if len(list) > 0 && q.SortBy == "" {
		last = list[len(list)-1].Name
	}
	h.cursors.note(groups, p.cursorFilter(), start+len(list), last, total)
	withMembers := p.wantMembers()
	var members map[string][]store.Member
	if withMembers && len(list) > 0 {
		ids := make([]string, len(list))
		for i, g := range list {
			ids[i] = g.ID
		}
		if members, err = h.st.GroupMembers(r.Context(), ids); err != nil {
			h.fail(w, r, err, "groups")
			return
		}
	}
	res := make([]any, len(list))
	for i, g := range list {
		var ms []store.Member
		if withMembers {
			ms = members[g.ID]
			if ms == nil {
				ms = []store.Member{}
			}
		}
		res[i] = project(h.groupResource(g, ms), p)
	}
	writeJSON(w, http.StatusOK, listResponse(total, p.startIndex, res))
}

// POST /scim/v2/Groups
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) {
	body, e := h.decodeBody(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	if _, ok := get(body, "id"); ok {
		WriteError(w, errf(http.StatusBadRequest, "mutability", "id is set by the server; leave it out of a new group"))
		return
	}
	gw, e := parseGroup(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	name := slug(gw.display)
	if _, ve := api.ValidateGroupName(name); ve != nil || name == "" {
		WriteError(w, errf(http.StatusBadRequest, "invalidValue", fmt.Sprintf("displayName %q gives no usable group name: it needs letters or digits", gw.display)))
		return
	}
	g := store.Group{ID: uuid.NewString(), Name: name, FriendlyName: gw.display, Attributes: map[string]string{}, MemberIDs: gw.members}
	if gw.externalID != "" {
		g.Attributes[attrGroupExternalID] = gw.externalID
	}
	g, err := h.st.CreateGroup(r.Context(), g, actor(r).Meta)
	if err != nil {
		h.fail(w, r, err, "group")
		return
	}
	h.writeGroup(w, r, http.StatusCreated, g)
}

// PUT /scim/v2/Groups/{id} replaces displayName, externalId and, when
// sent, the members. The members are set in the database (SetGroupMembers:
// the rows of the members who leave or join, not the whole list, are read
// and written), then the rest without reading the members.
func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request) {
	id, version, body, ok := h.writeTarget(w, r, "group", true)
	if !ok {
		return
	}
	gw, e := parseGroup(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	a := actor(r)
	var g store.Group
	err := h.st.Atomic(r.Context(), func(tx store.Store) error {
		ps, ok := tx.(store.Searcher)
		if !ok {
			return fmt.Errorf("scim: the store cannot set members")
		}
		ifVersion := version
		if gw.hasMembers {
			if _, err := ps.SetGroupMembers(r.Context(), id, version, gw.members, a.Meta); err != nil {
				return err
			}
			ifVersion = 0 // checked, in this transaction
		}
		var err error
		g, err = ps.UpdateGroupAttrs(r.Context(), id, ifVersion, func(g *store.Group) error {
			gw.applyTo(g)
			return nil
		}, a.Meta)
		return err
	})
	if err != nil {
		h.fail(w, r, err, "group "+id)
		return
	}
	h.writeGroup(w, r, http.StatusOK, g)
}

func (gw *groupWrite) applyTo(g *store.Group) {
	g.FriendlyName = gw.display
	g.Attributes = maps.Clone(g.Attributes)
	if g.Attributes == nil {
		g.Attributes = map[string]string{}
	}
	if gw.externalID != "" {
		g.Attributes[attrGroupExternalID] = gw.externalID
	} else {
		delete(g.Attributes, attrGroupExternalID)
	}
}

// PATCH /scim/v2/Groups/{id}. Operations on members (add members, remove
// members[value eq "…"], remove members with a value list, as Okta and
// Entra ID send them) become one PatchGroupMembers call that touches only
// those members; a replace of all members, or a remove of members without a
// filter, becomes one SetGroupMembers call, which deletes and inserts only
// the rows that change, without reading the list. Other operations change
// displayName or externalId, without reading the members either.
func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request) {
	id, version, body, ok := h.writeTarget(w, r, "group", true)
	if !ok {
		return
	}
	ops, e := parsePatch(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	// Sort the operations into member changes and the rest. Members added
	// then removed (or the other way) in one request end as the last said.
	state := map[string]bool{} // id → member afterwards
	var order []string
	var replaceAll []string
	replacing := false
	var other []patchOp
	set := func(ids []string, in bool) {
		for _, id := range ids {
			if _, seen := state[id]; !seen {
				order = append(order, id)
			}
			state[id] = in
		}
	}
	for _, op := range ops {
		if op.Path == "" {
			obj, _ := op.Value.(map[string]any)
			if mv, ok := get(obj, "members"); ok {
				ids, e := memberIDs(mv)
				if e != nil {
					WriteError(w, e)
					return
				}
				if op.Op == "replace" {
					replacing, replaceAll, state, order = true, ids, map[string]bool{}, nil
				} else {
					set(ids, true)
				}
				rest := maps.Clone(obj)
				delete(rest, canonicalKey(rest, "members"))
				if len(rest) == 0 {
					continue
				}
				op.Value = rest
			}
			other = append(other, op)
			continue
		}
		p, err := filter.ParsePath([]byte(op.Path))
		if err != nil {
			WriteError(w, errf(http.StatusBadRequest, "invalidPath", fmt.Sprintf("path %q is not a SCIM attribute path such as members[value eq \"…\"]: %v", op.Path, err)))
			return
		}
		if !strings.EqualFold(p.AttributePath.AttributeName, "members") {
			other = append(other, op)
			continue
		}
		switch {
		case p.ValueExpression != nil:
			if op.Op != "remove" {
				WriteError(w, errf(http.StatusBadRequest, "invalidPath", "members[…] paths take remove; add members with path members and a value list"))
				return
			}
			ids, ok := memberFilterIDs(p.ValueExpression)
			if !ok {
				WriteError(w, errf(http.StatusBadRequest, "invalidFilter", "a members filter must be value eq \"<user id>\", optionally joined with or"))
				return
			}
			set(ids, false)
		case op.Op == "remove" && op.Value == nil:
			replacing, replaceAll, state, order = true, []string{}, map[string]bool{}, nil
		default:
			ids, e := memberIDs(op.Value)
			if e != nil {
				WriteError(w, e)
				return
			}
			switch op.Op {
			case "add":
				set(ids, true)
			case "remove":
				set(ids, false)
			case "replace":
				replacing, replaceAll, state, order = true, ids, map[string]bool{}, nil
			}
		}
	}
	var add, remove []string
	for _, id := range order {
		if state[id] {
			add = append(add, id)
		} else {
			remove = append(remove, id)
		}
	}
	if replacing {
		// After a replace, what later operations added and removed.
		final := map[string]bool{}
		for _, id := range replaceAll {
			final[id] = true
		}
		for _, id := range order {
			final[id] = state[id]
		}
		replaceAll = replaceAll[:0]
		for id, in := range final {
			if in {
				replaceAll = append(replaceAll, id)
			}
		}
	}
	a := actor(r)
	var g store.Group
	err := h.st.Atomic(r.Context(), func(tx store.Store) error {
		ps, ok := tx.(store.Searcher)
		if !ok {
			return fmt.Errorf("scim: the store cannot patch members")
		}
		var err error
		switch {
		case replacing:
			g, err = ps.SetGroupMembers(r.Context(), id, version, replaceAll, a.Meta)
		case len(add)+len(remove) > 0 || len(other) == 0:
			// With no operation on members it still reads the group,
			// checking that it exists and the If-Match version.
			g, err = ps.PatchGroupMembers(r.Context(), id, version, add, remove, a.Meta)
		}
		if err != nil || len(other) == 0 {
			return err
		}
		ifVersion := version
		if g.ID != "" {
			ifVersion = 0 // checked, in this transaction
		}
		g, err = ps.UpdateGroupAttrs(r.Context(), id, ifVersion, func(g *store.Group) error {
			res := h.groupResource(*g, nil)
			for _, op := range other {
				if e := applyOp(res, op, []string{"id", "meta", "members"}); e != nil {
					return e
				}
			}
			gw, e := parseGroup(res)
			if e != nil {
				return e
			}
			gw.applyTo(g)
			return nil
		}, a.Meta)
		return err
	})
	if err != nil {
		var ref *store.ReferenceError
		if errors.As(err, &ref) {
			WriteError(w, errf(http.StatusBadRequest, "invalidValue", "members: no user has id "+strings.Join(quoteAll(ref.IDs), ", ")))
			return
		}
		h.fail(w, r, err, "group "+id)
		return
	}
	// The members are not read back: a PATCH answers 204 No Content, which
	// RFC 7644 §3.5.2 allows and Okta and Entra ID expect, with the new ETag.
	w.Header().Set("ETag", etag(g.Version))
	w.WriteHeader(http.StatusNoContent)
}

// wantMembers reports whether the answer includes members, given
// attributes and excludedAttributes.
func (p listParams) wantMembers() bool {
	if len(p.attributes) > 0 {
		for _, x := range p.attributes {
			if strings.EqualFold(strings.Split(x, ".")[0], "members") {
				return true
			}
		}
		return false
	}
	for _, x := range p.excluded {
		if strings.EqualFold(strings.Split(x, ".")[0], "members") {
			return false
		}
	}
	return true
}

// memberFilterIDs reads `value eq "id"` (or several joined with or).
func memberFilterIDs(expr filter.Expression) ([]string, bool) {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		if e.Operator != filter.OR {
			return nil, false
		}
		l, ok1 := memberFilterIDs(e.Left)
		r, ok2 := memberFilterIDs(e.Right)
		return append(l, r...), ok1 && ok2
	case *filter.AttributeExpression:
		s, ok := e.CompareValue.(string)
		if !ok || e.Operator != filter.EQ || !strings.EqualFold(e.AttributePath.AttributeName, "value") {
			return nil, false
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return []string{}, true // names no user: removes nothing
		}
		return []string{id.String()}, true
	}
	return nil, false
}

// DELETE /scim/v2/Groups/{id}
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id, version, _, ok := h.writeTarget(w, r, "group", false)
	if !ok {
		return
	}
	if err := h.st.DeleteGroup(r.Context(), id, version, actor(r).Meta); err != nil {
		h.fail(w, r, err, "group "+id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
