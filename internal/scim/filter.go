package scim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
	filter "github.com/scim2/filter-parser/v2"
)

// kind says which resource a filter is over.
type kind int

const (
	users kind = iota
	groups
)

// trailingSub matches `emails[type eq "work"].value eq "x"`, which clients
// send although RFC 7644's grammar has no sub-attribute after a value
// filter; it means `emails[type eq "work" and value eq "x"]`.
var trailingSub = regexp.MustCompile(`(?i)\b([a-z][a-z0-9_-]*)\[([^\]]*)\]\.([a-z][a-z0-9_-]*)\s+(eq|ne|co|sw|ew|gt|ge|lt|le)\s+("(?:[^"\\]|\\.)*"|true|false|null|[0-9.eE+-]+)`)

// parseFilter parses a SCIM filter and translates it into a store.Cond.
func parseFilter(raw string, k kind) (*store.Cond, *Error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	if quick, ok := quickFilter(raw); ok {
		c, e := translate(quick, k)
		if e != nil {
			return nil, e
		}
		return &c, nil
	}
	raw = trailingSub.ReplaceAllString(raw, `$1[$2 and $3 $4 $5]`)
	expr, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return nil, errf(http.StatusBadRequest, "invalidFilter", fmt.Sprintf("filter %q is not a SCIM filter (RFC 7644 §3.4.2.2), such as userName eq \"jane@example.com\": %v", raw, err))
	}
	c, e := translate(expr, k)
	if e != nil {
		return nil, e
	}
	return &c, nil
}

func translate(expr filter.Expression, k kind) (store.Cond, *Error) {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		l, err := translate(e.Left, k)
		if err != nil {
			return store.Cond{}, err
		}
		r, err := translate(e.Right, k)
		if err != nil {
			return store.Cond{}, err
		}
		return store.Cond{Op: strings.ToLower(string(e.Operator)), Sub: []store.Cond{l, r}}, nil
	case *filter.NotExpression:
		c, err := translate(e.Expression, k)
		if err != nil {
			return store.Cond{}, err
		}
		return store.Cond{Op: "not", Sub: []store.Cond{c}}, nil
	case *filter.ValuePath:
		return translateValuePath(e, k)
	case *filter.AttributeExpression:
		return translateCompare(e, k, "")
	}
	return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", "unsupported filter expression")
}

// translateValuePath handles attr[expr]: the sub-expression's attributes
// are sub-attributes of attr.
func translateValuePath(v *filter.ValuePath, k kind) (store.Cond, *Error) {
	var walk func(filter.Expression) (store.Cond, *Error)
	walk = func(x filter.Expression) (store.Cond, *Error) {
		switch e := x.(type) {
		case *filter.LogicalExpression:
			l, err := walk(e.Left)
			if err != nil {
				return store.Cond{}, err
			}
			r, err := walk(e.Right)
			if err != nil {
				return store.Cond{}, err
			}
			return store.Cond{Op: strings.ToLower(string(e.Operator)), Sub: []store.Cond{l, r}}, nil
		case *filter.NotExpression:
			c, err := walk(e.Expression)
			if err != nil {
				return store.Cond{}, err
			}
			return store.Cond{Op: "not", Sub: []store.Cond{c}}, nil
		case *filter.AttributeExpression:
			return translateCompare(e, k, v.AttributePath.AttributeName)
		}
		return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", "a value filter holds comparisons joined by and, or, not")
	}
	return walk(v.ValueFilter)
}

// filterable lists, per resource, what a filter may name, for messages.
var filterable = map[kind]string{
	users:  "userName, emails.value (or emails[type eq \"work\"].value), externalId, displayName, name.givenName, name.familyName, active, id, groups.value, meta.created and meta.lastModified",
	groups: "displayName, externalId, members.value, id, meta.created and meta.lastModified",
}

// translateCompare maps one comparison. parent is the multi-valued
// attribute of an enclosing value path ("emails" in emails[value eq …]).
func translateCompare(e *filter.AttributeExpression, k kind, parent string) (store.Cond, *Error) {
	name := strings.ToLower(e.AttributePath.AttributeName)
	sub := strings.ToLower(e.AttributePath.SubAttributeName())
	if uri := e.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, userSchema) && !strings.EqualFold(uri, groupSchema) {
		return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", fmt.Sprintf("filters on %s attributes are not supported; filter by %s", uri, filterable[k]))
	}
	if parent != "" {
		name, sub = strings.ToLower(parent), name
	}
	op := strings.ToLower(string(e.Operator))
	path := e.AttributePath.String()
	cmp := func(field string) (store.Cond, *Error) {
		c := store.Cond{Op: op, Field: field}
		if op == "pr" {
			return c, nil
		}
		switch field {
		case store.FieldUpdatedAt, store.FieldCreatedAt:
			s, ok := e.CompareValue.(string)
			t, err := time.Parse(time.RFC3339Nano, s)
			if !ok || err != nil {
				return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", fmt.Sprintf("%s compares with a date-time such as \"2026-01-02T15:04:05Z\", not %v", path, e.CompareValue))
			}
			if op == "co" || op == "sw" || op == "ew" {
				return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", path+" is a date-time: compare it with eq, ne, gt, ge, lt or le")
			}
			c.Value = t
		case store.FieldGroup, store.FieldMember:
			s, ok := e.CompareValue.(string)
			if !ok || op != "eq" {
				return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", path+" takes eq with an id, or pr")
			}
			c.Value = strings.ToLower(s)
		default:
			s, ok := e.CompareValue.(string)
			if !ok {
				return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", fmt.Sprintf("%s is a string: compare it with a quoted value, not %v", path, e.CompareValue))
			}
			if field == store.FieldUsername || field == store.FieldName {
				s = api.NormalizeName(s)
			}
			c.Value = s
		}
		return c, nil
	}
	switch k {
	case users:
		switch {
		case name == "username" && sub == "":
			return cmp(store.FieldUsername)
		case name == "externalid" && sub == "":
			return cmp(store.FieldExternalID)
		case name == "id" && sub == "":
			return cmp(store.FieldID)
		case name == "displayname" && sub == "":
			return cmp(store.FieldDisplayName)
		case name == "name" && sub == "familyname":
			return cmp(store.FieldLastName)
		case name == "name" && sub == "givenname":
			return cmp(store.FieldFirstName)
		case name == "emails" && (sub == "" || sub == "value"):
			return cmp(store.FieldEmail)
		case name == "emails" && sub == "type":
			// Rollcall keeps one email, the work one.
			return constCond(matchString(op, "work", e.CompareValue)), nil
		case name == "emails" && sub == "primary":
			b, _ := e.CompareValue.(bool)
			return constCond(op == "pr" || (op == "eq") == b), nil
		case name == "active" && sub == "":
			if op == "pr" {
				return constCond(true), nil
			}
			b, ok := asBool(e.CompareValue)
			if !ok || (op != "eq" && op != "ne") {
				return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", "active is a boolean: compare it with eq or ne and true or false")
			}
			return store.Cond{Op: op, Field: store.FieldDisabled, Value: !b}, nil
		case name == "groups" && (sub == "" || sub == "value"):
			return cmp(store.FieldGroup)
		case name == "meta" && sub == "lastmodified":
			return cmp(store.FieldUpdatedAt)
		case name == "meta" && sub == "created":
			return cmp(store.FieldCreatedAt)
		}
	case groups:
		switch {
		case name == "displayname" && sub == "":
			// A group made through the JSON:API may have no friendly name;
			// SCIM shows its name as displayName then.
			a, err := cmp(store.FieldDisplayName)
			if err != nil {
				return a, err
			}
			b, err := cmp(store.FieldName)
			if err != nil {
				return b, err
			}
			if op == "ne" {
				return store.Cond{Op: "and", Sub: []store.Cond{a, b}}, nil
			}
			return store.Cond{Op: "or", Sub: []store.Cond{a, b}}, nil
		case name == "id" && sub == "":
			return cmp(store.FieldID)
		case name == "externalid" && sub == "":
			return cmp(store.FieldExternalID)
		case name == "members" && (sub == "" || sub == "value"):
			return cmp(store.FieldMember)
		case name == "meta" && sub == "lastmodified":
			return cmp(store.FieldUpdatedAt)
		case name == "meta" && sub == "created":
			return cmp(store.FieldCreatedAt)
		}
	}
	return store.Cond{}, errf(http.StatusBadRequest, "invalidFilter", fmt.Sprintf("cannot filter by %s: filter by %s", path, filterable[k]))
}

func constCond(b bool) store.Cond {
	if b {
		return store.Cond{Op: "true"}
	}
	return store.Cond{Op: "false"}
}

func matchString(op, have string, want any) bool {
	w, _ := want.(string)
	w = strings.ToLower(w)
	switch op {
	case "eq":
		return have == w
	case "ne":
		return have != w
	case "co":
		return strings.Contains(have, w)
	case "sw":
		return strings.HasPrefix(have, w)
	case "ew":
		return strings.HasSuffix(have, w)
	case "pr":
		return true
	}
	return false
}

// listParams are the query parameters of a list or the members of a
// SearchRequest.
type listParams struct {
	filter     string
	startIndex int
	count      int
	sortBy     string
	sortOrder  string
	attributes []string
	excluded   []string
}

const defaultCount, maxCount = 100, 1000

func listParamsOf(r *http.Request) (listParams, *Error) {
	q := r.URL.Query()
	p := listParams{filter: q.Get("filter"), startIndex: 1, count: defaultCount, sortBy: q.Get("sortBy"), sortOrder: q.Get("sortOrder"),
		attributes: splitList(q.Get("attributes")), excluded: splitList(q.Get("excludedAttributes"))}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"startIndex", &p.startIndex}, {"count", &p.count}} {
		if s := q.Get(n.name); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return p, errf(http.StatusBadRequest, "invalidValue", n.name+" must be an integer, not "+strconv.Quote(s))
			}
			*n.dst = v
		}
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// searchParamsOf reads a SearchRequest body (POST …/.search).
func searchParamsOf(body map[string]any) (listParams, *Error) {
	p := listParams{startIndex: 1, count: defaultCount}
	rd := &reader{}
	p.filter = rd.str(body, "filter", "filter")
	p.sortBy = rd.str(body, "sortBy", "sortBy")
	p.sortOrder = rd.str(body, "sortOrder", "sortOrder")
	for _, n := range []struct {
		name string
		dst  *int
	}{{"startIndex", &p.startIndex}, {"count", &p.count}} {
		if v, ok := get(body, n.name); ok && v != nil {
			num, isNum := v.(interface{ Int64() (int64, error) })
			i, err := int64(0), error(nil)
			if isNum {
				i, err = num.Int64()
			}
			if !isNum || err != nil {
				rd.errs = append(rd.errs, n.name+" must be an integer")
			}
			*n.dst = int(i)
		}
	}
	for _, n := range []struct {
		name string
		dst  *[]string
	}{{"attributes", &p.attributes}, {"excludedAttributes", &p.excluded}} {
		if v, ok := get(body, n.name); ok && v != nil {
			list, ok := v.([]any)
			if !ok {
				rd.errs = append(rd.errs, n.name+" must be an array of attribute names")
			}
			for _, x := range list {
				if s, ok := x.(string); ok {
					*n.dst = append(*n.dst, s)
				}
			}
		}
	}
	if len(rd.errs) > 0 {
		return p, errf(http.StatusBadRequest, "invalidValue", strings.Join(rd.errs, "; "))
	}
	return p, nil
}

// query checks the paging and sorting and builds the store query.
func (p listParams) query(k kind) (store.Query, *Error) {
	where, e := parseFilter(p.filter, k)
	if e != nil {
		return store.Query{}, e
	}
	sortBy := ""
	if p.sortBy != "" {
		var ok bool
		if sortBy, ok = sortFields[k][strings.ToLower(p.sortBy)]; !ok {
			return store.Query{}, errf(http.StatusBadRequest, "invalidValue", "sortBy "+strconv.Quote(p.sortBy)+" is not supported: "+
				map[kind]string{users: "Users", groups: "Groups"}[k]+" sort by "+sortNames[k]+" (each has an index in that order)")
		}
	}
	desc := strings.EqualFold(p.sortOrder, "descending")
	if p.sortOrder != "" && !desc && !strings.EqualFold(p.sortOrder, "ascending") {
		return store.Query{}, errf(http.StatusBadRequest, "invalidValue", "sortOrder "+strconv.Quote(p.sortOrder)+" must be ascending or descending")
	}
	start, count := max(p.startIndex, 1), max(p.count, 0)
	if count > maxCount {
		count = maxCount
	}
	return store.Query{Where: where, Offset: start - 1, Limit: count, Desc: desc, SortBy: sortBy}, nil
}

// sortFields are the attributes sortBy takes (lower-cased) and the store
// field each sorts by; "" is the default order, userName (groups: the
// name), which the cursors follow. sortNames lists them for errors.
var (
	sortFields = map[kind]map[string]string{
		users: {"username": "", "id": store.FieldID, "name.familyname": store.FieldLastName, "displayname": store.FieldDisplayName,
			"meta.lastmodified": store.FieldUpdatedAt, "externalid": store.FieldExternalID},
		groups: {"displayname": store.FieldDisplayName, "id": store.FieldID},
	}
	sortNames = map[kind]string{
		users:  "userName, id, name.familyName, displayName, meta.lastModified or externalId",
		groups: "displayName or id",
	}
)

// cursorFilter keys the cursors of a list: its filter and its order.
func (p listParams) cursorFilter() string {
	if strings.EqualFold(p.sortOrder, "descending") {
		return "desc\x00" + p.filter
	}
	return p.filter
}

// project applies attributes and excludedAttributes to a rendered
// resource; id and schemas are always returned (RFC 7643 §7).
func project(res map[string]any, p listParams) map[string]any {
	if len(p.attributes) > 0 {
		out := map[string]any{"id": res["id"], "schemas": res["schemas"]}
		for _, a := range p.attributes {
			top, _, _ := strings.Cut(a, ".")
			if k := canonicalKey(res, top); res[k] != nil {
				out[k] = res[k]
			}
		}
		return out
	}
	for _, a := range p.excluded {
		top, _, _ := strings.Cut(a, ".")
		if k := canonicalKey(res, top); k != "id" && k != "schemas" {
			delete(res, k)
		}
	}
	return res
}

func listResponse(total, start int, resources []any) map[string]any {
	if resources == nil {
		resources = []any{}
	}
	return map[string]any{"schemas": []string{listSchema}, "totalResults": total, "startIndex": max(start, 1),
		"itemsPerPage": len(resources), "Resources": resources}
}

// listing is GET of a list: its query string holds the parameters.
func listing(find func(http.ResponseWriter, *http.Request, listParams)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, e := listParamsOf(r)
		if e != nil {
			WriteError(w, e)
			return
		}
		find(w, r, p)
	}
}

// searching is POST …/.search: the same parameters in a SearchRequest body.
func (h *Handler) searching(find func(http.ResponseWriter, *http.Request, listParams)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, e := h.decodeBody(r)
		if e != nil {
			WriteError(w, e)
			return
		}
		p, e := searchParamsOf(body)
		if e != nil {
			WriteError(w, e)
			return
		}
		find(w, r, p)
	}
}

func (h *Handler) findUsers(w http.ResponseWriter, r *http.Request, p listParams) {
	q, e := p.query(users)
	if e != nil {
		WriteError(w, e)
		return
	}
	start := q.Offset
	known := h.cursors.plan(users, p.cursorFilter(), &q)
	list, total, err := h.st.SearchUsers(r.Context(), q)
	if err != nil {
		h.fail(w, r, err, "users")
		return
	}
	if known >= 0 {
		total = known
	}
	last := ""
	if len(list) > 0 && q.SortBy == "" {
		last = list[len(list)-1].Username
	}
	h.cursors.note(users, p.cursorFilter(), start+len(list), last, total)
	names, err := h.groupNames(r, list...)
	if err != nil {
		h.fail(w, r, err, "users")
		return
	}
	res := make([]any, len(list))
	for i, u := range list {
		res[i] = project(h.userResource(u, names), p)
	}
	writeJSON(w, http.StatusOK, listResponse(total, p.startIndex, res))
}

// POST /scim/v2/.search searches users, then groups, as one list; a filter
// that names an attribute only one of them has searches only that one.
func (h *Handler) searchRoot(w http.ResponseWriter, r *http.Request) {
	body, e := h.decodeBody(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	p, e := searchParamsOf(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	uq, ue := p.query(users)
	gq, ge := p.query(groups)
	if ue != nil && ge != nil {
		WriteError(w, ue)
		return
	}
	var res []any
	total := 0
	if ue == nil {
		list, n, err := h.st.SearchUsers(r.Context(), uq)
		if err != nil {
			h.fail(w, r, err, "users")
			return
		}
		total += n
		for _, u := range list {
			res = append(res, project(h.userResource(u, nil), p))
		}
		// Groups continue where the users ended.
		gq.Offset = max(0, gq.Offset-n)
		gq.Limit = max(0, gq.Limit-len(list))
	}
	if ge == nil {
		list, n, err := h.st.SearchGroups(r.Context(), gq)
		if err != nil {
			h.fail(w, r, err, "groups")
			return
		}
		total += n
		for _, g := range list {
			res = append(res, project(h.groupResource(g, nil), p))
		}
	}
	writeJSON(w, http.StatusOK, listResponse(total, p.startIndex, res))
}
