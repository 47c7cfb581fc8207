package api

import (
	"encoding/json"
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
