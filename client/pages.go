package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rollcall/rollcall/api"
)

// MaxPageSize is the largest page[size] the server accepts.
const MaxPageSize = 1000

// pages walks a list endpoint page by page, following links.next to the
// end. The first request carries q; later ones use the server's next link
// as is, since the cursor is opaque.
func pages[T any](ctx context.Context, c *Client, path string, q url.Values) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		for doc, err := range documents[T](ctx, c, path, q) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(doc.Data, nil) {
				return
			}
		}
	}
}

// documents is pages yielding whole list documents, for callers that also
// need what the server put in included.
func documents[T any](ctx context.Context, c *Client, path string, q url.Values) iter.Seq2[*api.Document[[]T], error] {
	return func(yield func(*api.Document[[]T], error) bool) {
		next := path
		query := q
		for next != "" {
			var doc api.Document[[]T]
			if _, err := c.do(ctx, request{method: http.MethodGet, path: next, query: query}, &doc); err != nil {
				yield(nil, err)
				return
			}
			if !yield(&doc, nil) {
				return
			}
			next, query = "", nil
			if doc.Links != nil {
				next = doc.Links.Next
			}
		}
	}
}

// findOne reads the first resource of a list filtered by a unique key (a
// username, an email, a group name) with one request of page size 1, and
// returns it with the document's included resources. When nothing matches,
// the error says notFound and matches ErrNotFound.
func findOne[T any](ctx context.Context, c *Client, path string, q url.Values, notFound string) (*T, []json.RawMessage, error) {
	q.Set("page[size]", "1")
	var doc api.Document[[]T]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Data) == 0 {
		return nil, nil, fmt.Errorf("%s: %w", notFound, ErrNotFound)
	}
	return &doc.Data[0], doc.Included, nil
}

// includedGroups picks the groups out of a document's included resources.
func includedGroups(included []json.RawMessage) ([]api.Group, error) {
	groups := make([]api.Group, 0, len(included))
	for _, raw := range included {
		var g api.Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return nil, fmt.Errorf("rollcall: decoding an included resource: %w", err)
		}
		if g.Type == api.TypeGroups {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

// items flattens pages into single resources.
func items[T any](seq iter.Seq2[[]T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, err := range seq {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range page {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// collect reads every page into one slice.
func collect[T any](seq iter.Seq2[[]T, error]) ([]T, error) {
	out := []T{}
	for page, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

func setPageSize(q url.Values, n int) {
	if n <= 0 {
		n = MaxPageSize
	}
	q.Set("page[size]", strconv.Itoa(min(n, MaxPageSize)))
}
