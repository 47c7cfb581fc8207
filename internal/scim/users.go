package scim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// Schema URIs of RFC 7643.
const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Keys of store.User.Attributes that the enterprise extension fills; the
// rest of a user's attributes are the JSON:API's alone and a PUT keeps them.
const (
	attrEmployeeNumber = "employee_number"
	attrOrganization   = "organization"
	attrCostCenter     = "cost_center"
	attrDivision       = "division"
	attrManager        = "manager_id"
)

var enterpriseAttrs = map[string]string{
	"employeeNumber": attrEmployeeNumber, "organization": attrOrganization,
	"costCenter": attrCostCenter, "division": attrDivision,
}

// ignoredUserAttrs are RFC 7643 User attributes Rollcall has nowhere to
// keep. They are accepted and dropped (documented in docs/scim.md), since
// Okta and Entra ID send several of them by default; an attribute in no
// schema is refused.
var ignoredUserAttrs = []string{"nickName", "profileUrl", "userType", "timezone", "password", "addresses",
	"ims", "photos", "roles", "entitlements", "x509Certificates", "groups", "schemas", "meta", "id"}

// userResource renders u as a SCIM User. groups names the groups of u that
// are known (id → name); others are listed by id alone.
func (h *Handler) userResource(u store.User, groups map[string]string) map[string]any {
	res := map[string]any{
		"schemas":  []string{userSchema, enterpriseSchema},
		"id":       u.ID,
		"userName": u.Username,
		"active":   !u.Disabled,
		"meta": map[string]any{
			"resourceType": "User",
			"created":      u.CreatedAt.UTC().Format(time.RFC3339Nano),
			"lastModified": u.UpdatedAt.UTC().Format(time.RFC3339Nano),
			"location":     h.base + "/Users/" + u.ID,
			"version":      etag(u.Version),
		},
	}
	if u.ExternalID != "" {
		res["externalId"] = u.ExternalID
	}
	name := map[string]any{}
	if u.FirstName != "" {
		name["givenName"] = u.FirstName
	}
	if u.LastName != "" {
		name["familyName"] = u.LastName
	}
	if f := strings.TrimSpace(u.FirstName + " " + u.LastName); f != "" {
		name["formatted"] = f
	}
	if len(name) > 0 {
		res["name"] = name
	}
	display := u.DisplayName
	if display == "" {
		display = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if display != "" {
		res["displayName"] = display
	}
	if u.Email != "" {
		res["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	var phones []any
	if u.Phone != "" {
		phones = append(phones, map[string]any{"value": u.Phone, "type": "work"})
	}
	if u.Mobile != "" {
		phones = append(phones, map[string]any{"value": u.Mobile, "type": "mobile"})
	}
	if phones != nil {
		res["phoneNumbers"] = phones
	}
	if u.Title != "" {
		res["title"] = u.Title
	}
	if u.Locale != "" {
		res["locale"] = u.Locale
		res["preferredLanguage"] = u.Locale
	}
	if len(u.GroupIDs) > 0 {
		gs := make([]any, 0, len(u.GroupIDs))
		for _, id := range u.GroupIDs {
			g := map[string]any{"value": id, "$ref": h.base + "/Groups/" + id, "type": "direct"}
			if n, ok := groups[id]; ok {
				g["display"] = n
			}
			gs = append(gs, g)
		}
		res["groups"] = gs
	}
	ent := map[string]any{}
	for scimName, key := range enterpriseAttrs {
		if v := u.Attributes[key]; v != "" {
			ent[scimName] = v
		}
	}
	if u.Department != "" {
		ent["department"] = u.Department
	}
	if m := u.Attributes[attrManager]; m != "" {
		ent["manager"] = map[string]any{"value": m, "$ref": h.base + "/Users/" + m}
	}
	if len(ent) > 0 {
		res[enterpriseSchema] = ent
	}
	return res
}

// userWrite is a SCIM User read as a whole (POST, PUT, and the result of a
// PATCH): the JSON:API write attributes, every one of them set, so that
// validation is the JSON:API's, and the enterprise attributes.
type userWrite struct {
	attrs api.UserWriteAttributes
	ent   map[string]string // enterpriseAttrs and attrManager; "" clears
}

// reader collects the type errors of one resource.
type reader struct{ errs []string }

func (rd *reader) str(m map[string]any, name, path string) string {
	v, ok := get(m, name)
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		rd.errs = append(rd.errs, fmt.Sprintf("%s must be a string, not %s", path, jsonType(v)))
	}
	return s
}

func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return "a string"
}

// parseUser reads a whole SCIM User. Attributes left out are cleared, as a
// PUT replaces the resource (RFC 7644 §3.5.1).
func parseUser(m map[string]any) (userWrite, *Error) {
	rd := &reader{}
	for k := range m {
		if known(k) {
			continue
		}
		return userWrite{}, errf(http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("%q is not an attribute of a SCIM User (%s) or its enterprise extension", k, userSchema))
	}
	var w userWrite
	a := &w.attrs
	opt := func(s string) api.Opt[string] {
		if s == "" {
			return api.Null[string]()
		}
		return api.Some(s)
	}
	a.Username = api.Some(rd.str(m, "userName", "userName"))
	a.ExternalID = opt(rd.str(m, "externalId", "externalId"))
	if v, ok := get(m, "name"); ok && v != nil {
		n, isObj := v.(map[string]any)
		if !isObj {
			rd.errs = append(rd.errs, "name must be an object with givenName and familyName, not "+jsonType(v))
		}
		a.FirstName = opt(rd.str(n, "givenName", "name.givenName"))
		a.LastName = opt(rd.str(n, "familyName", "name.familyName"))
		if d := rd.str(n, "formatted", "name.formatted"); d != "" && rd.str(m, "displayName", "displayName") == "" {
			a.DisplayName = opt(d)
		}
	} else {
		a.FirstName, a.LastName = api.Null[string](), api.Null[string]()
	}
	if !a.DisplayName.Set {
		a.DisplayName = opt(rd.str(m, "displayName", "displayName"))
	}
	a.Title = opt(rd.str(m, "title", "title"))
	loc := rd.str(m, "locale", "locale")
	if loc == "" {
		loc = rd.str(m, "preferredLanguage", "preferredLanguage")
	}
	a.Locale = opt(strings.ReplaceAll(loc, "_", "-"))
	a.Email = api.Some(pickEmail(rd, m))
	phone, mobile := pickPhones(rd, m)
	a.Phone, a.Mobile = opt(phone), opt(mobile)
	if v, ok := get(m, "active"); ok && v != nil {
		b, ok := asBool(v)
		if !ok {
			rd.errs = append(rd.errs, fmt.Sprintf("active must be true or false, not %s", jsonType(v)))
		}
		a.Disabled = api.Some(!b)
	} else {
		a.Disabled = api.Some(false)
	}
	w.ent = map[string]string{}
	for _, key := range enterpriseAttrs {
		w.ent[key] = ""
	}
	w.ent[attrManager] = ""
	a.Department = api.Null[string]()
	if v, ok := get(m, enterpriseSchema); ok && v != nil {
		e, isObj := v.(map[string]any)
		if !isObj {
			rd.errs = append(rd.errs, enterpriseSchema+" must be an object")
		}
		for k := range e {
			if _, ok := enterpriseAttrs[canonicalName(k)]; !ok && !strings.EqualFold(k, "department") && !strings.EqualFold(k, "manager") {
				rd.errs = append(rd.errs, fmt.Sprintf("%q is not an attribute of the enterprise extension: it has employeeNumber, costCenter, organization, division, department and manager", k))
			}
		}
		for scimName, key := range enterpriseAttrs {
			w.ent[key] = rd.str(e, scimName, "enterprise "+scimName)
		}
		a.Department = opt(rd.str(e, "department", "enterprise department"))
		if mv, ok := get(e, "manager"); ok && mv != nil {
			switch x := mv.(type) {
			case string: // Entra ID sends the manager's id as a plain string
				w.ent[attrManager] = x
			case map[string]any:
				w.ent[attrManager] = rd.str(x, "value", "enterprise manager.value")
			default:
				rd.errs = append(rd.errs, "enterprise manager must be an object with value, the manager's id")
			}
		}
	}
	if len(rd.errs) > 0 {
		return userWrite{}, errf(http.StatusBadRequest, "invalidValue", strings.Join(rd.errs, "; "))
	}
	if errs := a.Normalize(true); len(errs) > 0 {
		return userWrite{}, fromValidation(errs)
	}
	attrs := map[string]string{}
	for k, v := range w.ent {
		if v != "" {
			attrs[k] = v
		}
	}
	if errs := api.ValidateAttributes(attrs); len(errs) > 0 {
		return userWrite{}, fromValidation(errs)
	}
	return w, nil
}

func canonicalName(k string) string {
	for n := range enterpriseAttrs {
		if strings.EqualFold(n, k) {
			return n
		}
	}
	return k
}

// known reports whether k is an attribute a SCIM User may carry.
func known(k string) bool {
	for _, n := range []string{"userName", "externalId", "name", "displayName", "title", "locale", "preferredLanguage",
		"emails", "phoneNumbers", "active", enterpriseSchema} {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	for _, n := range ignoredUserAttrs {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}

// pickEmail chooses the one email Rollcall keeps: the primary one, else
// the work one, else the first.
func pickEmail(rd *reader, m map[string]any) string {
	v, ok := get(m, "emails")
	if !ok || v == nil {
		return ""
	}
	list, ok := v.([]any)
	if !ok {
		rd.errs = append(rd.errs, "emails must be an array of {value, type, primary}, not "+jsonType(v))
		return ""
	}
	best, rank := "", 0
	for i, el := range list {
		e, ok := el.(map[string]any)
		if !ok {
			rd.errs = append(rd.errs, fmt.Sprintf("emails[%d] must be an object with value", i))
			continue
		}
		val := rd.str(e, "value", fmt.Sprintf("emails[%d].value", i))
		if val == "" {
			continue
		}
		r := 1
		if t := rd.str(e, "type", fmt.Sprintf("emails[%d].type", i)); strings.EqualFold(t, "work") {
			r = 2
		}
		if p, _ := get(e, "primary"); p != nil {
			if b, _ := asBool(p); b {
				r = 3
			}
		}
		if r >= rank { // of equals the last wins: an add appends the new one
			best, rank = val, r
		}
	}
	return best
}

// pickPhones reads the work and mobile numbers; a number without a type
// is the work number.
func pickPhones(rd *reader, m map[string]any) (phone, mobile string) {
	v, ok := get(m, "phoneNumbers")
	if !ok || v == nil {
		return "", ""
	}
	list, ok := v.([]any)
	if !ok {
		rd.errs = append(rd.errs, "phoneNumbers must be an array of {value, type}, not "+jsonType(v))
		return "", ""
	}
	for i, el := range list {
		e, ok := el.(map[string]any)
		if !ok {
			rd.errs = append(rd.errs, fmt.Sprintf("phoneNumbers[%d] must be an object with value and type", i))
			continue
		}
		val := rd.str(e, "value", fmt.Sprintf("phoneNumbers[%d].value", i))
		// Of several of a type the last wins: an add appends the new one.
		switch t := strings.ToLower(rd.str(e, "type", fmt.Sprintf("phoneNumbers[%d].type", i))); t {
		case "mobile":
			mobile = val
		case "work", "":
			phone = val
		}
	}
	return phone, mobile
}

// apply writes w onto u, keeping what SCIM does not manage: admin flag,
// service account, avatar, email-verified and the attributes the JSON:API
// set. A changed email is no longer verified.
func (w *userWrite) apply(u *store.User, source string) {
	a := &w.attrs
	val := func(o api.Opt[string]) string {
		if o.Null {
			return ""
		}
		return o.Value
	}
	u.Username = a.Username.Value
	if !strings.EqualFold(u.Email, a.Email.Value) {
		u.EmailVerified = false
	}
	u.Email = a.Email.Value
	u.FirstName, u.LastName, u.DisplayName = val(a.FirstName), val(a.LastName), val(a.DisplayName)
	u.Title, u.Department, u.Locale = val(a.Title), val(a.Department), val(a.Locale)
	u.Phone, u.Mobile = val(a.Phone), val(a.Mobile)
	u.Disabled = a.Disabled.Value
	u.ExternalID = val(a.ExternalID)
	if u.ExternalID != "" {
		u.ExternalSource = source
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	u.Attributes = maps.Clone(u.Attributes)
	for k, v := range w.ent {
		if v == "" {
			delete(u.Attributes, k)
		} else {
			u.Attributes[k] = v
		}
	}
}

// groupNames maps the ids of users' groups to names with one query, which
// does not count the groups' members (store.GroupLabels).
func (h *Handler) groupNames(r *http.Request, users ...store.User) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, u := range users {
		for _, id := range u.GroupIDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	ls, err := h.st.GroupLabels(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		names[l.ID] = groupDisplay(store.Group{Name: l.Name, FriendlyName: l.FriendlyName})
	}
	return names, nil
}

func (h *Handler) writeUser(w http.ResponseWriter, r *http.Request, status int, u store.User) {
	names, err := h.groupNames(r, u)
	if err != nil {
		h.fail(w, r, err, "user")
		return
	}
	writeResource(w, status, u.Version, h.base+"/Users/"+u.ID, h.userResource(u, names))
}

// userID reads {id}; anything that is not a UUID names no user or group.
func userID(r *http.Request) (string, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// writeTarget reads what every write to one user or group (kind) starts
// with: the id in the URL, the version If-Match names (0 for none) and,
// for PUT and PATCH (withBody), the decoded body, which may not name
// another id. It answers the request itself when one of them is wrong,
// and then ok is false.
func (h *Handler) writeTarget(w http.ResponseWriter, r *http.Request, kind string, withBody bool) (id string, version int64, body map[string]any, ok bool) {
	if id, ok = userID(r); !ok {
		WriteError(w, errf(http.StatusNotFound, "", "no "+kind+" has id "+r.PathValue("id")))
		return "", 0, nil, false
	}
	version, e := ifMatch(r)
	if e != nil {
		WriteError(w, e)
		return "", 0, nil, false
	}
	if !withBody {
		return id, version, nil, true
	}
	if body, e = h.decodeBody(r); e != nil {
		WriteError(w, e)
		return "", 0, nil, false
	}
	if v, found := get(body, "id"); found && v != id {
		WriteError(w, errf(http.StatusBadRequest, "mutability", "id is set by the server and cannot be changed: the body names another "+kind+" than the URL"))
		return "", 0, nil, false
	}
	return id, version, body, true
}

// GET /scim/v2/Users/{id}
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, ok := userID(r)
	if !ok {
		WriteError(w, errf(http.StatusNotFound, "", "no user has id "+r.PathValue("id")))
		return
	}
	u, err := h.st.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, err, "user "+id)
		return
	}
	h.writeUser(w, r, http.StatusOK, u)
}

// POST /scim/v2/Users
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	body, e := h.decodeBody(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	// meta is read-only and ignored (Entra ID sends {"resourceType":
	// "User"}); an id would be one the server did not assign.
	if _, ok := get(body, "id"); ok {
		WriteError(w, errf(http.StatusBadRequest, "mutability", "id is set by the server; leave it out of a new user"))
		return
	}
	uw, e := parseUser(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	a := actor(r)
	u := store.User{ID: uuid.NewString(), Attributes: map[string]string{}, GroupIDs: []string{}}
	uw.apply(&u, a.Source)
	u, err := h.st.CreateUser(r.Context(), u, a.Meta)
	if err != nil {
		h.fail(w, r, err, "user")
		return
	}
	h.writeUser(w, r, http.StatusCreated, u)
}

// PUT /scim/v2/Users/{id} replaces the user's SCIM attributes; Okta sends
// profile updates this way. An id in the body must be the user's own; meta
// is read-only and ignored (RFC 7644 §3.5.1).
func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request) {
	h.updateUser(w, r, func(body map[string]any, _ map[string]any) (map[string]any, *Error) { return body, nil })
}

// PATCH /scim/v2/Users/{id} applies the operations to the user as SCIM
// renders it and stores the result as a PUT would, inside one transaction.
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) {
	h.updateUser(w, r, func(body map[string]any, cur map[string]any) (map[string]any, *Error) {
		ops, e := parsePatch(body)
		if e != nil {
			return nil, e
		}
		delete(cur, "groups") // read-only; a PUT of the result must not see it
		touched := map[string]bool{}
		for _, op := range ops {
			if e := applyOp(cur, op, []string{"id", "meta", "groups"}); e != nil {
				return nil, e
			}
			for _, a := range opAttrs(op) {
				touched[strings.ToLower(a)] = true
			}
		}
		// locale and preferredLanguage are one field shown twice; the
		// one the operations changed is the one that counts.
		if touched["preferredlanguage"] && !touched["locale"] {
			delete(cur, canonicalKey(cur, "locale"))
		}
		return cur, nil
	})
}

// updateUser is PUT and PATCH: build turns the request body and the user
// as SCIM renders it now into the whole new resource.
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, build func(body, cur map[string]any) (map[string]any, *Error)) {
	id, version, body, ok := h.writeTarget(w, r, "user", true)
	if !ok {
		return
	}
	a := actor(r)
	var u store.User
	// Disabling and ending the person's sessions commit together: a
	// deactivated person is signed out everywhere, or nothing changed.
	err := h.st.Atomic(r.Context(), func(tx store.Store) error {
		wasDisabled := false
		var err error
		u, err = tx.UpdateUser(r.Context(), id, version, func(u *store.User) error {
			wasDisabled = u.Disabled
			res, e := build(body, patchBase(h.userResource(*u, nil), *u))
			if e != nil {
				return e
			}
			uw, e := parseUser(res)
			if e != nil {
				return e
			}
			uw.apply(u, a.Source)
			if u.Disabled && !wasDisabled && u.ID == a.Meta.ActorID {
				return errSelf
			}
			return nil
		}, a.Meta)
		if err != nil || !u.Disabled || wasDisabled {
			return err
		}
		as, ok := tx.(store.AuthStore)
		if !ok {
			return fmt.Errorf("scim: the store cannot end sessions")
		}
		_, err = as.DeleteUserSessions(r.Context(), u.ID, nil, a.Meta)
		return err
	})
	if err != nil {
		h.fail(w, r, err, "user "+id)
		return
	}
	h.writeUser(w, r, http.StatusOK, u)
}

// errSelf refuses to disable or delete the user whose token makes the
// request: the provisioning client would lock itself out, and with it
// every later change from the HR system.
var errSelf = errf(http.StatusForbidden, "", "this is the user of the token the request uses; SCIM cannot disable or delete it: the client would lock itself out (change it through the API or the console)")

// patchBase is the user as PATCH operations see it: what is stored, not
// what is derived for display (a displayName computed from the names, and
// name.formatted), so that a PATCH of the names keeps the display name
// computed instead of storing the old one.
func patchBase(res map[string]any, u store.User) map[string]any {
	if u.DisplayName == "" {
		delete(res, "displayName")
	}
	if n, ok := res["name"].(map[string]any); ok {
		delete(n, "formatted")
	}
	return res
}

// opAttrs names the top-level attributes an operation writes.
func opAttrs(op patchOp) []string {
	if op.Path == "" {
		obj, _ := op.Value.(map[string]any)
		var out []string
		for k := range obj {
			out = append(out, topAttr(k))
		}
		return out
	}
	return []string{topAttr(op.Path)}
}

// topAttr is the attribute a path starts with, after any schema URN.
func topAttr(path string) string {
	if i := strings.LastIndex(path, ":"); i >= 0 && strings.HasPrefix(strings.ToLower(path), "urn:") {
		path = path[i+1:]
	}
	if f := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' }); len(f) > 0 {
		return f[0]
	}
	return path
}

// DELETE /scim/v2/Users/{id}
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, version, _, ok := h.writeTarget(w, r, "user", false)
	if !ok {
		return
	}
	if id == actor(r).Meta.ActorID {
		WriteError(w, errSelf)
		return
	}
	if err := h.st.DeleteUser(r.Context(), id, version, actor(r).Meta); err != nil {
		h.fail(w, r, err, "user "+id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
