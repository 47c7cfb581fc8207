package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/internal/store"
)

// field is one audited attribute under its JSON:API name.
type field struct {
	name  string
	value any
}

// opt is an optional string for the audit log: "" is null, as in the API.
func opt(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// encodedField is a field with its value as JSON.
type encodedField struct {
	name string
	json json.RawMessage
}

func encodeFields(fs []field) []encodedField {
	out := make([]encodedField, len(fs))
	for i, f := range fs {
		b, err := json.Marshal(f.value)
		if err != nil {
			b = []byte("null")
		}
		out[i] = encodedField{f.name, b}
	}
	return out
}

// isEmptyJSON says the value is null, false, "", {} or [] — left out of
// the snapshot that a create or delete records.
func isEmptyJSON(b []byte) bool {
	switch string(b) {
	case "null", "false", `""`, "{}", "[]", "0":
		return true
	}
	return false
}

// snapshot is the JSON object of a record's non-empty fields, for the
// after of a create and the before of a delete.
func snapshot(fs []field) json.RawMessage {
	obj := map[string]json.RawMessage{}
	for _, f := range encodeFields(fs) {
		if !isEmptyJSON(f.json) {
			obj[f.name] = f.json
		}
	}
	b, _ := json.Marshal(obj)
	return b
}

// diff returns the changed fields before and after as JSON objects, or
// nil, nil when nothing changed. a and b list the same fields in order.
func diff(a, b []field) (before, after json.RawMessage) {
	ea, eb := encodeFields(a), encodeFields(b)
	bo, ao := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for i := range ea {
		if !bytes.Equal(ea[i].json, eb[i].json) {
			bo[ea[i].name] = ea[i].json
			ao[eb[i].name] = eb[i].json
		}
	}
	if len(ao) == 0 {
		return nil, nil
	}
	before, _ = json.Marshal(bo)
	after, _ = json.Marshal(ao)
	return before, after
}

// event is an audit event to write.
type event struct {
	action, targetType, targetID, targetName string
	before, after                            json.RawMessage
}

var qInsertAudit = stmt(`INSERT INTO audit_events
 (id, action, actor_id, actor_name, target_type, target_id, target_name, before_data, after_data, request_id, client_ip, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)

// audit records e in the current transaction.
func (c *conn) audit(ctx context.Context, m store.Meta, now time.Time, e event) error {
	_, err := c.exec(ctx, qInsertAudit,
		uuid.NewString(), e.action, m.ActorID, m.ActorName, e.targetType, e.targetID, e.targetName,
		jsonArg(e.before), jsonArg(e.after), m.RequestID, m.ClientIP, c.t(now))
	return err
}

func jsonArg(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// jsonCol scans a nullable JSON text column.
type jsonCol struct{ b *json.RawMessage }

func (x jsonCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*x.b = nil
	case string:
		*x.b = json.RawMessage(v)
	case []byte:
		*x.b = append(json.RawMessage(nil), v...)
	}
	return nil
}

// ListAuditEvents returns events newest first. Since is inclusive, Until
// exclusive.
func (s *Store) ListAuditEvents(ctx context.Context, f store.AuditFilter, p store.Page) ([]store.AuditEvent, string, error) {
	limit := pageLimit(p)
	c := s.read()
	b := &builder{d: s.d}
	if p.After != "" {
		key, err := decodeCursor(p.After)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, "", store.ErrInvalidCursor
		}
		b.where("seq < " + b.arg(seq))
	}
	if f.ActorID != "" {
		b.where("actor_id = " + b.arg(f.ActorID))
	}
	if f.TargetID != "" {
		b.where("target_id = " + b.arg(f.TargetID))
	}
	if f.Action != "" {
		if f.Action[len(f.Action)-1] == '.' {
			b.where(b.prefix("action", f.Action))
		} else {
			b.where("action = " + b.arg(f.Action))
		}
	}
	if !f.Since.IsZero() {
		b.where("created_at >= " + b.arg(c.t(f.Since)))
	}
	if !f.Until.IsZero() {
		b.where("created_at < " + b.arg(c.t(f.Until)))
	}
	sql := `SELECT seq, id, action, actor_id, actor_name, target_type, target_id, target_name,
 before_data, after_data, request_id, client_ip, created_at FROM audit_events` +
		b.whereClause() + " ORDER BY seq DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := c.query(ctx, b.statement(sql), b.args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	events := []store.AuditEvent{}
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.Seq, &e.ID, &e.Action, &e.ActorID, &e.ActorName, &e.TargetType, &e.TargetID,
			&e.TargetName, jsonCol{&e.Before}, jsonCol{&e.After}, &e.RequestID, &e.ClientIP, timeCol{&e.CreatedAt}); err != nil {
			return nil, "", err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		next = encodeCursor(strconv.FormatInt(events[limit-1].Seq, 10))
	}
	return events, next, nil
}
