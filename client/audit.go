package client

import (
	"context"
	"iter"
	"net/url"
	"time"

	"github.com/rollcall/rollcall/api"
)

// AuditService reads the audit log (/api/v1/audit-events).
type AuditService struct{ c *Client }

// ListAuditOptions filters the audit log; zero fields do not filter.
type ListAuditOptions struct {
	Actor  string    // actor user id
	Target string    // target resource id
	Action string    // exact ("user.create") or a prefix ending in "." ("user.")
	Since  time.Time // events at or after
	Until  time.Time // events before
	Limit  int       // at most this many events; 0 reads all
}

func (o ListAuditOptions) values() url.Values {
	q := url.Values{}
	if o.Actor != "" {
		q.Set("filter[actor]", o.Actor)
	}
	if o.Target != "" {
		q.Set("filter[target]", o.Target)
	}
	if o.Action != "" {
		q.Set("filter[action]", o.Action)
	}
	if !o.Since.IsZero() {
		q.Set("filter[since]", o.Since.UTC().Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("filter[until]", o.Until.UTC().Format(time.RFC3339Nano))
	}
	setPageSize(q, o.Limit)
	return q
}

// List returns the events matching o in the server's order, following
// pages until o.Limit events are read or the log ends.
func (s *AuditService) List(ctx context.Context, o ListAuditOptions) ([]api.AuditEvent, error) {
	out := []api.AuditEvent{}
	for page, err := range s.Pages(ctx, o) {
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if o.Limit > 0 && len(out) >= o.Limit {
			return out[:o.Limit], nil
		}
	}
	return out, nil
}

// Pages yields the events matching o one page at a time (o.Limit only
// sizes the pages here).
func (s *AuditService) Pages(ctx context.Context, o ListAuditOptions) iter.Seq2[[]api.AuditEvent, error] {
	return pages[api.AuditEvent](ctx, s.c, "/api/v1/audit-events", o.values())
}
