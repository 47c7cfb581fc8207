package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

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
	json []byte
}

// appendValue appends v as JSON. Strings and bools, nearly every field,
// skip reflection: a bulk import audits every field of every user.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendString appends s as a JSON string, as encoding/json would
// (invalid UTF-8 becomes U+FFFD) but without escaping HTML characters.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func encodeFields(fs []field) []encodedField {
	out := make([]encodedField, len(fs))
	for i, f := range fs {
		out[i] = encodedField{f.name, appendValue(nil, f.value)}
	}
	return out
}

// isEmptyJSON says the value is null, false, "", {} or [] — left out of
// the snapshot that a create or delete records.
func isEmptyJSON(b []byte) bool {
	switch string(b) {
	case "null", "false", `""`, "{}", "[]":
		return true
	}
	return false
}

// object writes the fields as one JSON object, in the order given.
func object(fs []encodedField) json.RawMessage {
	b := []byte{'{'}
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.name)
		b = append(b, ':')
		b = append(b, f.json...)
	}
	return append(b, '}')
}

// snapshot is the JSON object of a record's non-empty fields, for the
// after of a create and the before of a delete.
func snapshot(fs []field) json.RawMessage {
	var keep []encodedField
	for _, f := range encodeFields(fs) {
		if !isEmptyJSON(f.json) {
			keep = append(keep, f)
		}
	}
	return object(keep)
}

// diff returns the changed fields before and after as JSON objects, or
// nil, nil when nothing changed. a and b list the same fields in order.
func diff(a, b []field) (before, after json.RawMessage) {
	ea, eb := encodeFields(a), encodeFields(b)
	var bo, ao []encodedField
	for i := range ea {
		if !bytes.Equal(ea[i].json, eb[i].json) {
			bo = append(bo, ea[i])
			ao = append(ao, eb[i])
		}
	}
	if len(ao) == 0 {
		return nil, nil
	}
	return object(bo), object(ao)
}

// event is an audit event to write.
type event struct {
	action, targetType, targetID, targetName string
	before, after                            json.RawMessage
}

var qInsertAudit = stmt(`INSERT INTO audit_events
 (id, action, actor_id, actor_name, target_type, target_id, target_name, before_data, after_data, request_id, client_ip, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)

// audit records e in the current transaction. Event ids are UUIDv7: they
// grow with time, so the unique index on them is appended to instead of
// split at random places, which matters in a bulk import.
func (c *conn) audit(ctx context.Context, m store.Meta, now time.Time, e event) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, qInsertAudit,
		id.String(), e.action, m.ActorID, m.ActorName, e.targetType, e.targetID, e.targetName,
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
			// A prefix such as "user." matches a large share of all
			// events: walking them newest first and filtering beats
			// sorting every match, so the expression keeps the database
			// from choosing the action index.
			b.where(b.prefix("(action || '')", f.Action))
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
