// Package api holds Rollcall's wire types (JSON:API documents for users,
// groups, api-tokens and audit-events, and error objects) and the validation
// rules for them. It is shared by the server, the Go client, the CLI and the
// Terraform provider so that a bad value is refused with the same words
// everywhere.
package api

// MediaType is the JSON:API media type every response carries.
const MediaType = "application/vnd.api+json"

// AtomicMediaType is the media type of JSON:API Atomic Operations requests.
const AtomicMediaType = `application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"`

// Resource type names as they appear in "type" members.
const (
	TypeUsers       = "users"
	TypeGroups      = "groups"
	TypeAPITokens   = "api-tokens"
	TypeAuditEvents = "audit-events"
	TypeSetupLinks  = "setup-links"
)
