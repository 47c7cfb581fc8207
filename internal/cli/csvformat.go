package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rollcall/rollcall/api"
)

// The user file format of import and export: one row per user, columns
// named by the snake_case of the user model, in this order on export. On
// import the header may hold any subset in any order; a column that is left
// out is not managed (the attribute is left as it is).
//
//   - Optional text columns: an empty cell clears the attribute.
//   - Boolean columns: true or false (also 1/0, yes/no); empty is false.
//   - groups: group names separated by ";" (empty: no groups).
//   - attributes: a JSON object of string values, such as
//     {"cost_center":"42"} (empty: none). JSON, rather than key=value
//     pairs, because values may hold any character.
//   - id: used only when the row creates a user (the proposed id), so that
//     moving users between servers keeps their ids (the OIDC sub).
var userColumns = []string{"id", "username", "email", "first_name", "last_name", "display_name", "email_verified",
	"locale", "is_admin", "disabled", "phone", "mobile", "title", "department", "avatar_url", "external_id",
	"external_source", "groups", "attributes"}

type colKind int

const (
	colString colKind = iota
	colBool
	colAttributes
	colGroups
	colID
)

// column ties a file column to the user model.
type column struct {
	name string
	kind colKind
	str  func(*api.UserWriteAttributes) *api.Opt[string]
	bool func(*api.UserWriteAttributes) *api.Opt[bool]
	cur  func(*api.UserAttributes) string // the current value as a cell
}

func strCol(name string, w func(*api.UserWriteAttributes) *api.Opt[string], cur func(*api.UserAttributes) string) column {
	return column{name: name, kind: colString, str: w, cur: cur}
}

func boolCol(name string, w func(*api.UserWriteAttributes) *api.Opt[bool], cur func(*api.UserAttributes) bool) column {
	return column{name: name, kind: colBool, bool: w, cur: func(a *api.UserAttributes) string { return strconv.FormatBool(cur(a)) }}
}

var columnsByName = func() map[string]column {
	type W = api.UserWriteAttributes
	type A = api.UserAttributes
	cols := []column{
		{name: "id", kind: colID},
		strCol("username", func(w *W) *api.Opt[string] { return &w.Username }, func(a *A) string { return a.Username }),
		strCol("email", func(w *W) *api.Opt[string] { return &w.Email }, func(a *A) string { return a.Email }),
		strCol("first_name", func(w *W) *api.Opt[string] { return &w.FirstName }, func(a *A) string { return str(a.FirstName) }),
		strCol("last_name", func(w *W) *api.Opt[string] { return &w.LastName }, func(a *A) string { return str(a.LastName) }),
		strCol("display_name", func(w *W) *api.Opt[string] { return &w.DisplayName }, func(a *A) string { return a.DisplayName }),
		boolCol("email_verified", func(w *W) *api.Opt[bool] { return &w.EmailVerified }, func(a *A) bool { return a.EmailVerified }),
		strCol("locale", func(w *W) *api.Opt[string] { return &w.Locale }, func(a *A) string { return str(a.Locale) }),
		boolCol("is_admin", func(w *W) *api.Opt[bool] { return &w.IsAdmin }, func(a *A) bool { return a.IsAdmin }),
		boolCol("disabled", func(w *W) *api.Opt[bool] { return &w.Disabled }, func(a *A) bool { return a.Disabled }),
		strCol("phone", func(w *W) *api.Opt[string] { return &w.Phone }, func(a *A) string { return str(a.Phone) }),
		strCol("mobile", func(w *W) *api.Opt[string] { return &w.Mobile }, func(a *A) string { return str(a.Mobile) }),
		strCol("title", func(w *W) *api.Opt[string] { return &w.Title }, func(a *A) string { return str(a.Title) }),
		strCol("department", func(w *W) *api.Opt[string] { return &w.Department }, func(a *A) string { return str(a.Department) }),
		strCol("avatar_url", func(w *W) *api.Opt[string] { return &w.AvatarURL }, func(a *A) string { return str(a.AvatarURL) }),
		strCol("external_id", func(w *W) *api.Opt[string] { return &w.ExternalID }, func(a *A) string { return str(a.ExternalID) }),
		strCol("external_source", func(w *W) *api.Opt[string] { return &w.ExternalSource }, func(a *A) string { return str(a.ExternalSource) }),
		{name: "groups", kind: colGroups},
		{name: "attributes", kind: colAttributes, cur: func(a *A) string { return attributesCell(a.Attributes) }},
	}
	m := make(map[string]column, len(cols))
	for _, c := range cols {
		m[c.name] = c
	}
	return m
}()

// columnName is the file column of a JSON:API attribute (first-name ->
// first_name), for error messages about rows.
func columnName(attr string) string { return strings.ReplaceAll(attr, "-", "_") }

// userRecord is a user as a row of the file, columns in userColumns order.
func userRecord(u *api.User, ix *groupIndex) []string {
	out := make([]string, len(userColumns))
	for i, name := range userColumns {
		switch c := columnsByName[name]; c.kind {
		case colID:
			out[i] = u.ID
		case colGroups:
			out[i] = strings.Join(ix.names(u.GroupIDs()), ";")
		default:
			out[i] = c.cur(&u.Attributes)
		}
	}
	return out
}

// attributesCell renders the attributes map as compact JSON with sorted
// keys, or "" when empty, so that equal maps give equal cells.
func attributesCell(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // maps of strings always encode; keys come out sorted
	return string(b)
}

func parseAttributesCell(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf(`attributes must be a JSON object of string values such as {"cost_center":"42"}`)
	}
	return m, nil
}

func parseBoolCell(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no", "n", "f":
		return false, nil
	case "true", "1", "yes", "y", "t":
		return true, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// parseGroupsCell splits "a;b" into normalised, sorted, distinct names.
func parseGroupsCell(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ";") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, api.NormalizeName(g))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// userLine is a user as one line of the JSON lines format: the same
// columns as the CSV, in the same order, with JSON types.
type userLine struct {
	ID             string            `json:"id"`
	Username       string            `json:"username"`
	Email          string            `json:"email"`
	FirstName      string            `json:"first_name"`
	LastName       string            `json:"last_name"`
	DisplayName    string            `json:"display_name"`
	EmailVerified  bool              `json:"email_verified"`
	Locale         string            `json:"locale"`
	IsAdmin        bool              `json:"is_admin"`
	Disabled       bool              `json:"disabled"`
	Phone          string            `json:"phone"`
	Mobile         string            `json:"mobile"`
	Title          string            `json:"title"`
	Department     string            `json:"department"`
	AvatarURL      string            `json:"avatar_url"`
	ExternalID     string            `json:"external_id"`
	ExternalSource string            `json:"external_source"`
	Groups         []string          `json:"groups"`
	Attributes     map[string]string `json:"attributes"`
}

func userLineOf(u *api.User, ix *groupIndex) userLine {
	a := u.Attributes
	attrs := a.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return userLine{ID: u.ID, Username: a.Username, Email: a.Email, FirstName: str(a.FirstName), LastName: str(a.LastName),
		DisplayName: a.DisplayName, EmailVerified: a.EmailVerified, Locale: str(a.Locale), IsAdmin: a.IsAdmin, Disabled: a.Disabled,
		Phone: str(a.Phone), Mobile: str(a.Mobile), Title: str(a.Title), Department: str(a.Department), AvatarURL: str(a.AvatarURL),
		ExternalID: str(a.ExternalID), ExternalSource: str(a.ExternalSource), Groups: ix.names(u.GroupIDs()), Attributes: attrs}
}

// jsonLineCells turns one JSON line into the cells of the CSV format, so
// both formats share one import path. Only the members present are
// managed.
func jsonLineCells(line []byte) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	// encoding/json would read a lone "\ud800" as U+FFFD; the server
	// refuses it, and so does the file check, naming the column.
	if e := api.CheckSurrogates(line); e != nil {
		return nil, errors.New(e.Detail)
	}
	cells := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		raw := m[k]
		c, ok := columnsByName[k]
		if !ok {
			return nil, fmt.Errorf("unknown member %q; the members are %s", k, strings.Join(userColumns, ", "))
		}
		if string(raw) == "null" {
			cells[k] = ""
			continue
		}
		var err error
		switch c.kind {
		case colBool:
			var b bool
			err = json.Unmarshal(raw, &b)
			cells[k] = strconv.FormatBool(b)
		case colGroups:
			var gs []string
			err = json.Unmarshal(raw, &gs)
			cells[k] = strings.Join(gs, ";")
		case colAttributes:
			var am map[string]string
			err = json.Unmarshal(raw, &am)
			cells[k] = attributesCell(am)
		default:
			var s string
			err = json.Unmarshal(raw, &s)
			cells[k] = s
		}
		if err != nil {
			return nil, fmt.Errorf("%s has the wrong JSON type: %v", k, err)
		}
	}
	return cells, nil
}
