package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEventAttributes describe one change. Before and After hold only the
// fields that changed, as JSON objects; secrets never appear in them.
type AuditEventAttributes struct {
	Action     string          `json:"action"` // such as user.create, group.update, token.revoke
	ActorID    *string         `json:"actor-id"`
	ActorName  string          `json:"actor-name"`
	TargetType string          `json:"target-type"`
	TargetID   string          `json:"target-id"`
	TargetName string          `json:"target-name"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request-id"`
	ClientIP   string          `json:"client-ip"`
	CreatedAt  time.Time       `json:"created-at"`
}

// AuditEvent is an audit-events resource object.
type AuditEvent struct {
	Type       string               `json:"type"`
	ID         string               `json:"id"`
	Attributes AuditEventAttributes `json:"attributes"`
}

// AuditActions are the actions the audit log records, sorted. A store
// test checks that every action the store writes is listed here, so that
// filter[action] accepts it.
var AuditActions = []string{
	"group.create", "group.delete", "group.members.update", "group.update",
	"oidc.code_reuse", "oidc.consent", "oidc.consent_revoke", "oidc.device_deny", "oidc.key_rotate",
	"oidc.refresh_reuse", "oidc.revoke", "oidc.signin",
	"oidc_client.create", "oidc_client.delete", "oidc_client.update",
	"passkey.add", "passkey.remove", "passkey.rename",
	"session.revoke", "session.signout",
	"setup_link.create", "setup_link.revoke", "setup_link.use",
	"signin.failure", "signin.success",
	"token.create", "token.delete",
	"user.create", "user.delete", "user.groups.update", "user.update",
}

// AuditActionFamilies are the prefixes ending in "." that filter[action]
// takes for a family of actions: "group.", "user.groups.", …
func AuditActionFamilies() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range AuditActions {
		for i := range len(a) {
			if a[i] == '.' && !seen[a[:i+1]] {
				seen[a[:i+1]] = true
				out = append(out, a[:i+1])
			}
		}
	}
	return out
}

// CheckAuditActionFilter returns "" when s is an audit action or a family
// of them, else a detail that lists what there is.
func CheckAuditActionFilter(s string) string {
	for _, a := range AuditActions {
		if s == a || strings.HasSuffix(s, ".") && strings.HasPrefix(a, s) {
			return ""
		}
	}
	return fmt.Sprintf("filter[action] %q is not an audit action; the actions are %s, or a family such as %s",
		s, strings.Join(AuditActions, ", "), strings.Join(AuditActionFamilies(), ", "))
}
