package client

import (
	"context"
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
		next := path
		query := q
		for next != "" {
			var doc api.Document[[]T]
			if _, err := c.do(ctx, request{method: http.MethodGet, path: next, query: query}, &doc); err != nil {
				yield(nil, err)
				return
			}
			if !yield(doc.Data, nil) {
				return
			}
			next, query = "", nil
			if doc.Links != nil {
				next = doc.Links.Next
			}
		}
	}
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
