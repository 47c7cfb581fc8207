package api

import (
	"encoding/json"
	"time"
)

// User status values.
const (
	StatusPendingSetup = "pending-setup" // no passkey registered yet
	StatusActive       = "active"
	StatusDisabled     = "disabled"
)

// UserAttributes are a user's attributes as the server returns them.
// Optional strings that are unset are null, never "", so that Terraform and
// other clients see one representation of "no value".
type UserAttributes struct {
	Username       string            `json:"username"`
	Email          string            `json:"email"`
	EmailVerified  bool              `json:"email-verified"`
	FirstName      *string           `json:"first-name"`
	LastName       *string           `json:"last-name"`
	DisplayName    string            `json:"display-name"`
	Locale         *string           `json:"locale"`
	IsAdmin        bool              `json:"is-admin"`
	Disabled       bool              `json:"disabled"`
	ServiceAccount bool              `json:"service-account"`
	Phone          *string           `json:"phone"`
	Mobile         *string           `json:"mobile"`
	Title          *string           `json:"title"`
	Department     *string           `json:"department"`
	AvatarURL      *string           `json:"avatar-url"`
	ExternalID     *string           `json:"external-id"`
	ExternalSource *string           `json:"external-source"`
	Attributes     map[string]string `json:"attributes"`
	Status         string            `json:"status"`
	PasskeyCount   int               `json:"passkey-count"`
	LastSignInAt   *time.Time        `json:"last-sign-in-at"`
	CreatedAt      time.Time         `json:"created-at"`
	UpdatedAt      time.Time         `json:"updated-at"`
}

// UserRelationships are a user's relationships.
type UserRelationships struct {
	Groups ToMany `json:"groups"`
}

// User is a user resource object.
type User struct {
	Type          string            `json:"type"`
	ID            string            `json:"id"`
	Attributes    UserAttributes    `json:"attributes"`
	Relationships UserRelationships `json:"relationships"`
	Links         *Links            `json:"links,omitempty"`
}

// GroupIDs returns the ids in the user's groups relationship.
func (u *User) GroupIDs() []string { return identifiers(u.Relationships.Groups.Data) }

// UserWriteAttributes are the attributes a client sends to create or update
// a user. Left-out members are unchanged on PATCH; null or "" clears an
// optional one. The read-only members exist only so that sending them is
// refused by name instead of as an unknown field.
type UserWriteAttributes struct {
	Username       Opt[string]            `json:"username,omitzero"`
	Email          Opt[string]            `json:"email,omitzero"`
	EmailVerified  Opt[bool]              `json:"email-verified,omitzero"`
	FirstName      Opt[string]            `json:"first-name,omitzero"`
	LastName       Opt[string]            `json:"last-name,omitzero"`
	DisplayName    Opt[string]            `json:"display-name,omitzero"`
	Locale         Opt[string]            `json:"locale,omitzero"`
	IsAdmin        Opt[bool]              `json:"is-admin,omitzero"`
	Disabled       Opt[bool]              `json:"disabled,omitzero"`
	ServiceAccount Opt[bool]              `json:"service-account,omitzero"`
	Phone          Opt[string]            `json:"phone,omitzero"`
	Mobile         Opt[string]            `json:"mobile,omitzero"`
	Title          Opt[string]            `json:"title,omitzero"`
	Department     Opt[string]            `json:"department,omitzero"`
	AvatarURL      Opt[string]            `json:"avatar-url,omitzero"`
	ExternalID     Opt[string]            `json:"external-id,omitzero"`
	ExternalSource Opt[string]            `json:"external-source,omitzero"`
	Attributes     Opt[map[string]string] `json:"attributes,omitzero"`

	Status       json.RawMessage `json:"status,omitempty"`
	PasskeyCount json.RawMessage `json:"passkey-count,omitempty"`
	LastSignInAt json.RawMessage `json:"last-sign-in-at,omitempty"`
	CreatedAt    json.RawMessage `json:"created-at,omitempty"`
	UpdatedAt    json.RawMessage `json:"updated-at,omitempty"`
}

// UserWriteRelationships is the optional relationships member of a write.
type UserWriteRelationships struct {
	Groups *ToMany `json:"groups,omitempty"`
}

// UserWrite is the primary data of a POST or PATCH on /users.
type UserWrite struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id,omitempty"`
	Attributes    UserWriteAttributes     `json:"attributes"`
	Relationships *UserWriteRelationships `json:"relationships,omitempty"`
}

// Normalize canonicalises the attributes in place (username NFC and lower
// case, locale in BCP 47 form, phone numbers in E.164 where they parse) and
// validates them. creating demands the required attributes. All problems
// are returned together.
func (w *UserWriteAttributes) Normalize(creating bool) Errors {
	var errs Errors
	add := func(e *Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	for name, raw := range map[string]json.RawMessage{
		"status": w.Status, "passkey-count": w.PasskeyCount, "last-sign-in-at": w.LastSignInAt,
		"created-at": w.CreatedAt, "updated-at": w.UpdatedAt,
	} {
		if raw != nil {
			add(Invalid(CodeReadOnly, AttrPointer(name), name+" is set by the server and cannot be written; leave it out"))
		}
	}
	if creating || w.Username.Set {
		if w.Username.Null {
			add(Invalid(CodeRequired, AttrPointer("username"), "username is required and cannot be cleared"))
		} else {
			n, e := ValidateUsername(w.Username.Value)
			w.Username = Some(n)
			add(e)
		}
	}
	if creating || w.Email.Set {
		if w.Email.Null {
			add(Invalid(CodeRequired, AttrPointer("email"), "email is required and cannot be cleared"))
		} else {
			add(ValidateEmail(w.Email.Value))
		}
	}
	for _, t := range []struct {
		name string
		v    *Opt[string]
		max  int
	}{
		{"first-name", &w.FirstName, MaxNameLen},
		{"last-name", &w.LastName, MaxNameLen},
		{"display-name", &w.DisplayName, MaxNameLen},
		{"title", &w.Title, MaxTitleLen},
		{"department", &w.Department, MaxDepartmentLen},
		{"external-id", &w.ExternalID, MaxExternalLen},
		{"external-source", &w.ExternalSource, MaxExternalLen},
	} {
		if t.v.Set && !t.v.Null {
			add(ValidateText(t.name, t.v.Value, t.max))
		}
	}
	if w.Locale.Set && !w.Locale.Null {
		n, e := NormalizeLocale(w.Locale.Value)
		w.Locale.Value = n
		add(e)
	}
	if w.Phone.Set && !w.Phone.Null {
		n, e := NormalizePhone("phone", w.Phone.Value)
		w.Phone.Value = n
		add(e)
	}
	if w.Mobile.Set && !w.Mobile.Null {
		n, e := NormalizePhone("mobile", w.Mobile.Value)
		w.Mobile.Value = n
		add(e)
	}
	if w.AvatarURL.Set && !w.AvatarURL.Null {
		add(ValidateAvatarURL(w.AvatarURL.Value))
	}
	if w.Attributes.Set && !w.Attributes.Null {
		errs = append(errs, ValidateAttributes(w.Attributes.Value)...)
	}
	return errs
}

func identifiers(ids []ResourceIdentifier) []string {
	out := make([]string, len(ids))
	for i, r := range ids {
		out[i] = r.ID
	}
	return out
}

// Identifiers builds resource identifiers of one type from ids.
func Identifiers(typ string, ids []string) []ResourceIdentifier {
	out := make([]ResourceIdentifier, len(ids))
	for i, id := range ids {
		out[i] = ResourceIdentifier{Type: typ, ID: id}
	}
	return out
}
