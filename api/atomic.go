package api

import "encoding/json"

// MaxAtomicOperations is how many operations one POST /api/v1/operations
// request may carry. Bigger imports are sent in batches of this size.
const MaxAtomicOperations = 1000

// Atomic operation codes (JSON:API Atomic Operations extension).
const (
	OpAdd    = "add"
	OpUpdate = "update"
	OpRemove = "remove"
)

// AtomicRef names the target of an update or remove operation, or of a
// relationship operation when Relationship is set ("members" on groups,
// "groups" on users).
type AtomicRef struct {
	Type         string `json:"type"`
	ID           string `json:"id,omitempty"`
	Relationship string `json:"relationship,omitempty"`
}

// AtomicOperation is one member of "atomic:operations". Data is the
// resource object (add, update), or an array of resource identifiers for a
// relationship operation; it is kept raw so that each resource type decodes
// it with its own strict rules.
type AtomicOperation struct {
	Op   string          `json:"op"`
	Ref  *AtomicRef      `json:"ref,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// AtomicDocument is the body of POST /api/v1/operations.
type AtomicDocument struct {
	Operations []AtomicOperation `json:"atomic:operations"`
}

// AtomicResult is the result of one operation, in request order. Data is
// the created or updated resource; it is left out for remove and for
// relationship operations.
type AtomicResult struct {
	Data json.RawMessage `json:"data,omitempty"`
}

// AtomicResultsDocument is the body of a successful operations response.
type AtomicResultsDocument struct {
	Results []AtomicResult `json:"atomic:results"`
}
