package api

import (
	"encoding/json"
	"time"
)

// GroupAttributes are a group's attributes as the server returns them.
type GroupAttributes struct {
	Name         string            `json:"name"`
	FriendlyName *string           `json:"friendly-name"`
	Description  *string           `json:"description"`
	Attributes   map[string]string `json:"attributes"`
	MemberCount  int               `json:"member-count"`
	CreatedAt    time.Time         `json:"created-at"`
	UpdatedAt    time.Time         `json:"updated-at"`
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
	return errs
}
