package api

import (
	"bytes"
	"encoding/json"
)

// Opt is a request attribute that distinguishes "left out" from "sent".
// PATCH leaves absent attributes unchanged, while null or "" clears an
// optional one, and *T alone cannot tell absent from null.
type Opt[T any] struct {
	Set   bool // the member was present in the request
	Null  bool // it was present as JSON null
	Value T
}

// Some returns an Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, Value: v} }

// Null returns an Opt that clears the attribute.
func Null[T any]() Opt[T] { return Opt[T]{Set: true, Null: true} }

// UnmarshalJSON records presence; encoding/json calls it for null too.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		var zero T
		o.Value = zero
		return nil
	}
	o.Null = false
	if err := surrogateError(b); err != nil {
		return err
	}
	return json.Unmarshal(b, &o.Value)
}

// MarshalJSON writes null for an unset or null Opt; encode structs holding
// Opt fields with omitzero so that unset members are left out.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.Set || o.Null {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// IsZero reports whether the Opt was left out, for the omitzero tag.
func (o Opt[T]) IsZero() bool { return !o.Set }

// ApplyTo sets *dst to the value when the attribute was sent (null sets
// the zero value), and leaves it alone when left out: PATCH semantics.
func (o Opt[T]) ApplyTo(dst *T) {
	if o.Set {
		*dst = o.Value
	}
}

// Get returns the value, the zero value when null or unset.
func (o Opt[T]) Get() T { return o.Value }
