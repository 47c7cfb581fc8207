package api

import "encoding/json"

// ResourceIdentifier is a JSON:API resource identifier object.
type ResourceIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ToMany is a to-many relationship object. Data is never nil in responses so
// that an empty set reads as [] rather than null.
type ToMany struct {
	Data  []ResourceIdentifier `json:"data"`
	Links *RelationshipLinks   `json:"links,omitempty"`
}

// ToOne is a to-one relationship object.
type ToOne struct {
	Data *ResourceIdentifier `json:"data"`
}

// RelationshipLinks are the links of a relationship object.
type RelationshipLinks struct {
	Self    string `json:"self,omitempty"`
	Related string `json:"related,omitempty"`
}

// Links are the top-level or resource-level links.
type Links struct {
	Self string `json:"self,omitempty"`
	Next string `json:"next,omitempty"`
}

// Document is a JSON:API top-level document whose primary data is of type D
// (a single resource, or a slice of them).
type Document[D any] struct {
	Data     D                 `json:"data"`
	Included []json.RawMessage `json:"included,omitempty"`
	Links    *Links            `json:"links,omitempty"`
	Meta     map[string]any    `json:"meta,omitempty"`
}

// RelationshipDocument is the body of /relationships/ requests and responses.
type RelationshipDocument struct {
	Data  []ResourceIdentifier `json:"data"`
	Links *Links               `json:"links,omitempty"`
}

// ErrorDocument is the body of every error response.
type ErrorDocument struct {
	Errors []Error `json:"errors"`
}
