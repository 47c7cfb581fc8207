package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

var auditFilters = []string{"actor", "target", "action", "since", "until"}

func auditResource(e store.AuditEvent) api.AuditEvent {
	before, after := e.Before, e.After
	if len(before) == 0 {
		before = json.RawMessage("null")
	}
	if len(after) == 0 {
		after = json.RawMessage("null")
	}
	var actor *string
	if e.ActorID != "" {
		actor = &e.ActorID
	}
	return api.AuditEvent{
		Type: api.TypeAuditEvents,
		ID:   e.ID,
		Attributes: api.AuditEventAttributes{
			Action:     e.Action,
			ActorID:    actor,
			ActorName:  e.ActorName,
			TargetType: e.TargetType,
			TargetID:   e.TargetID,
			TargetName: e.TargetName,
			Before:     before,
			After:      after,
			RequestID:  e.RequestID,
			ClientIP:   e.ClientIP,
			CreatedAt:  e.CreatedAt.UTC(),
		},
	}
}

// GET /api/v1/audit-events — admins only, newest first.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) {
	if !caller(r).admin() {
		s.writeError(w, r, errForbidden("reading the audit log needs an admin token"))
		return
	}
	q, err := parseListQuery(r, auditFilters, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.AuditFilter{Action: q.filter["action"]}
	if f.Action != "" {
		// An unknown action would match nothing: say so rather than
		// answer an empty list that looks like "nothing happened".
		if detail := api.CheckAuditActionFilter(f.Action); detail != "" {
			s.writeError(w, r, errBadParameter("filter[action]", detail))
			return
		}
	}
	if f.ActorID, err = parseIDFilter("filter[actor]", q.filter["actor"], "a user"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.TargetID, err = parseIDFilter("filter[target]", q.filter["target"], "a resource"); err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.filter[t.name]
		if v == "" {
			continue
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.writeError(w, r, errBadParameter("filter["+t.name+"]", "filter["+t.name+"] \""+v+"\" is not an RFC 3339 time such as 2026-01-02T15:04:05Z"))
			return
		}
		*t.dst = tm
	}
	events, next, err := s.store.ListAuditEvents(r.Context(), f, q.page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]api.AuditEvent, len(events))
	for i, e := range events {
		data[i] = auditResource(e)
	}
	writeJSON(w, http.StatusOK, api.Document[[]api.AuditEvent]{Data: data, Links: &api.Links{Self: s.selfLink(r), Next: s.nextLink(r, next)}})
}
