package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
)

// GroupAttributes are a group's attributes as the server returns them.
type GroupAttributes struct {
	Name         string            `json:"name"`
	FriendlyName *string           `json:"friendly-name"`
	Description  *string           `json:"description"`
	Attributes   map[string]string `json:"attributes"`
	// CustomClaims are merged into the ID tokens, userinfo, introspection
	// answers and JWT access tokens of the group's members; see
	// ValidateCustomClaims.
	CustomClaims map[string]json.RawMessage `json:"custom-claims"`
	MemberCount  int                        `json:"member-count"`
	CreatedAt    time.Time                  `json:"created-at"`
	UpdatedAt    time.Time                  `json:"updated-at"`
}

// GroupRelationships are a group's relationships.
type GroupRelationships struct {
	Members ToMany `json:"members"`
}

// Group is a group resource object.
type Group struct {
	Type          string             `json:"type"`
	ID            string             `json:"id"`
	Attributes    GroupAttributes    `json:"attributes"`
	Relationships GroupRelationships `json:"relationships"`
	Links         *Links             `json:"links,omitempty"`
}

// MemberIDs returns the ids in the group's members relationship.
func (g *Group) MemberIDs() []string { return identifiers(g.Relationships.Members.Data) }

// GroupWriteAttributes are the attributes a client sends for a group.
type GroupWriteAttributes struct {
	Name         Opt[string]            `json:"name,omitzero"`
	FriendlyName Opt[string]            `json:"friendly-name,omitzero"`
	Description  Opt[string]            `json:"description,omitzero"`
	Attributes   Opt[map[string]string] `json:"attributes,omitzero"`
	// CustomClaims is a JSON object; Normalize checks it and leaves it
	// compact with sorted keys (ParseCustomClaims reads it).
	CustomClaims Opt[json.RawMessage] `json:"custom-claims,omitzero"`

	MemberCount json.RawMessage `json:"member-count,omitempty"`
	CreatedAt   json.RawMessage `json:"created-at,omitempty"`
	UpdatedAt   json.RawMessage `json:"updated-at,omitempty"`
}

// GroupWriteRelationships is the optional relationships member of a write.
type GroupWriteRelationships struct {
	Members *ToMany `json:"members,omitempty"`
}

// GroupWrite is the primary data of a POST or PATCH on /groups.
type GroupWrite struct {
	Type          string                   `json:"type"`
	ID            string                   `json:"id,omitempty"`
	Attributes    GroupWriteAttributes     `json:"attributes"`
	Relationships *GroupWriteRelationships `json:"relationships,omitempty"`
}

// Normalize canonicalises and validates a group write, like
// UserWriteAttributes.Normalize.
func (w *GroupWriteAttributes) Normalize(creating bool) Errors {
	var errs Errors
	add := func(e *Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	for name, raw := range map[string]json.RawMessage{"member-count": w.MemberCount, "created-at": w.CreatedAt, "updated-at": w.UpdatedAt} {
		if raw != nil {
			add(Invalid(CodeReadOnly, AttrPointer(name), name+" is set by the server and cannot be written; leave it out"))
		}
	}
	if creating || w.Name.Set {
		if w.Name.Null {
			add(Invalid(CodeRequired, AttrPointer("name"), "name is required and cannot be cleared"))
		} else {
			n, e := ValidateGroupName(w.Name.Value)
			w.Name = Some(n)
			add(e)
		}
	}
	if w.FriendlyName.Set && !w.FriendlyName.Null {
		add(ValidateText("friendly-name", w.FriendlyName.Value, MaxNameLen))
	}
	if w.Description.Set && !w.Description.Null {
		add(ValidateText("description", w.Description.Value, MaxDescriptionLen))
	}
	if w.Attributes.Set && !w.Attributes.Null {
		errs = append(errs, ValidateAttributes(w.Attributes.Value)...)
	}
	if w.CustomClaims.Set && !w.CustomClaims.Null {
		m, es := ValidateCustomClaims(w.CustomClaims.Value)
		errs = append(errs, es...)
		if len(es) == 0 {
			b, _ := json.Marshal(m) // compact values, sorted keys
			w.CustomClaims = Some(json.RawMessage(b))
		}
	}
	return errs
}

// MaxCustomClaimsSize bounds a group's custom-claims, compact JSON: they
// ride in every ID token of every member, and ID tokens often travel in
// URLs and cookies.
const MaxCustomClaimsSize = 4096

// MaxCustomClaimNameLen bounds one custom claim's name.
const MaxCustomClaimNameLen = 128

// ValidateCustomClaims checks a group's custom-claims: a JSON object of at
// most MaxCustomClaimsSize bytes (compact) whose names are not claims
// Rollcall sets itself (ReservedClaims) and whose values are not null. It
// returns the claims with compact values.
func ValidateCustomClaims(raw json.RawMessage) (map[string]json.RawMessage, Errors) {
	ptr := AttrPointer("custom-claims")
	var m map[string]json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &m) != nil {
		return nil, Errors{Invalid(CodeInvalidValue, ptr, `custom-claims must be a JSON object of claim names to values, such as {"role":"admin"}`)}
	}
	var errs Errors
	size := 2
	for _, name := range slices.Sorted(maps.Keys(m)) {
		p := ptr + "/" + pointerEscape(name)
		var buf bytes.Buffer
		if err := json.Compact(&buf, m[name]); err != nil {
			errs = append(errs, Invalid(CodeInvalidValue, p, fmt.Sprintf("custom claim %q is not valid JSON", name)))
			continue
		}
		m[name] = buf.Bytes()
		size += len(name) + 4 + buf.Len()
		switch {
		case name == "" || len(name) > MaxCustomClaimNameLen || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			errs = append(errs, Invalid(CodeInvalidAttributeKey, p, fmt.Sprintf("custom claim name %q must be 1 to %d characters without spaces or control characters", name, MaxCustomClaimNameLen)))
		case contains(ReservedClaims, name):
			errs = append(errs, Invalid(CodeInvalidValue, p, fmt.Sprintf("claim %q is set by Rollcall itself and cannot come from a group's custom-claims; choose another name", name)))
		case buf.String() == "null":
			errs = append(errs, Invalid(CodeInvalidValue, p, fmt.Sprintf("custom claim %q is null: give it a value or leave it out", name)))
		}
	}
	if size > MaxCustomClaimsSize {
		errs = append(errs, Invalid(CodeTooLong, ptr, fmt.Sprintf("custom-claims is %d bytes as compact JSON; at most %d are allowed, since they go into every member's ID token", size, MaxCustomClaimsSize)))
	}
	return m, errs
}

// ParseCustomClaims reads custom-claims that Normalize accepted; an empty
// or null value is no claims.
func ParseCustomClaims(raw json.RawMessage) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(raw, &m)
	return m
}
