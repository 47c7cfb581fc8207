package api

import "time"

// SetupLinkAttributes describe a setup link: a one-time URL with which a
// person registers a passkey without signing in. URL holds the secret; it
// is returned only in the response that creates the link and is never
// stored, only its SHA-256.
//
// A person has at most one outstanding link: creating one revokes the
// older ones, and registering a passkey by any route revokes the rest.
// GET /api/v1/users/{id}/setup-links lists the outstanding link without
// its URL; DELETE revokes it.
type SetupLinkAttributes struct {
	URL       string    `json:"url,omitempty"`
	ExpiresAt time.Time `json:"expires-at"`
	EmailSent bool      `json:"email-sent"`
	CreatedAt time.Time `json:"created-at"`
	// FirstAdmin marks the link serve printed for the first admin; it also
	// stops working once any admin has a passkey.
	FirstAdmin bool `json:"first-admin"`
}

// SetupLinkRelationships names the user the link is for.
type SetupLinkRelationships struct {
	User ToOne `json:"user"`
}

// SetupLink is a setup-links resource object.
type SetupLink struct {
	Type          string                 `json:"type"`
	ID            string                 `json:"id"`
	Attributes    SetupLinkAttributes    `json:"attributes"`
	Relationships SetupLinkRelationships `json:"relationships"`
}

// SetupLinkWriteAttributes are what a client may send to create a link.
// SendEmail asks the server to email the link to the user, which needs
// SMTP configured on the server (ROLLCALL_SMTP_URL).
type SetupLinkWriteAttributes struct {
	SendEmail bool `json:"send-email,omitempty"`
}

// SetupLinkWrite is the optional primary data of
// POST /api/v1/users/{id}/setup-links.
type SetupLinkWrite struct {
	Type       string                   `json:"type"`
	Attributes SetupLinkWriteAttributes `json:"attributes"`
}

// CodeEmailUnavailable is the 422 code when a setup link is to be emailed
// but the server has no SMTP configured.
const CodeEmailUnavailable = "email_unavailable"
