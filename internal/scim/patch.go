package scim

import (
	"fmt"
	"net/http"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PatchOp request (RFC 7644 §3.5.2).
type patchOp struct {
	Op    string // lower-cased: Entra sends "Replace" and "Add"
	Path  string
	Value any
}

const patchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// parsePatch reads the Operations of a PatchOp body.
func parsePatch(body map[string]any) ([]patchOp, *Error) {
	raw, ok := get(body, "Operations")
	if !ok {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "a PATCH body is a PatchOp message with an Operations array (schemas [\""+patchOpSchema+"\"])")
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, errf(http.StatusBadRequest, "invalidSyntax", "Operations must be a non-empty array of {op, path, value}")
	}
	ops := make([]patchOp, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, errf(http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("Operations[%d] must be an object with op, path and value", i))
		}
		var op patchOp
		opv, _ := get(m, "op")
		s, _ := opv.(string)
		op.Op = strings.ToLower(s)
		if op.Op != "add" && op.Op != "replace" && op.Op != "remove" {
			return nil, errf(http.StatusBadRequest, "invalidSyntax", fmt.Sprintf("Operations[%d].op is %q: it must be add, replace or remove", i, s))
		}
		if p, ok := get(m, "path"); ok && p != nil {
			if op.Path, ok = p.(string); !ok {
				return nil, errf(http.StatusBadRequest, "invalidPath", fmt.Sprintf("Operations[%d].path must be a string", i))
			}
		}
		op.Value, _ = get(m, "value")
		if op.Op == "remove" && op.Path == "" {
			return nil, errf(http.StatusBadRequest, "noTarget", fmt.Sprintf("Operations[%d]: remove needs a path", i))
		}
		if op.Op != "remove" && op.Value == nil {
			return nil, errf(http.StatusBadRequest, "invalidValue", fmt.Sprintf("Operations[%d]: %s needs a value", i, op.Op))
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// applyOp applies one operation to res, a resource as this package renders
// it (canonical attribute names). The result is then read back like the
// body of a PUT, so PATCH and PUT share one set of rules. readOnly lists
// the attributes no operation may touch.
func applyOp(res map[string]any, op patchOp, readOnly []string) *Error {
	if op.Path == "" {
		// A path-less add or replace carries an object whose members are
		// each a path (Entra sends "name.givenName" and extension URNs as
		// keys; Okta sends {"active": false}).
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return errf(http.StatusBadRequest, "invalidValue", op.Op+" without a path needs an object value whose members are the attributes to set")
		}
		for k, v := range obj {
			// Okta renames a group with {"id": <its id>, "displayName": …}:
			// an id that is the resource's own changes nothing.
			if strings.EqualFold(k, "id") && v == res["id"] {
				continue
			}
			if err := applyOp(res, patchOp{Op: op.Op, Path: k, Value: v}, readOnly); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := filter.ParsePath([]byte(op.Path))
	if err != nil {
		return errf(http.StatusBadRequest, "invalidPath", fmt.Sprintf("path %q is not a SCIM attribute path such as emails[type eq \"work\"].value: %v", op.Path, err))
	}
	container := res
	if uri := p.AttributePath.URI(); uri != "" {
		if !strings.EqualFold(uri, userSchema) && !strings.EqualFold(uri, groupSchema) {
			ext, ok := get(res, uri)
			m, _ := ext.(map[string]any)
			if !ok || m == nil {
				m = map[string]any{}
				res[uri] = m
			}
			container = m
		}
	}
	name := p.AttributePath.AttributeName
	for _, ro := range readOnly {
		if strings.EqualFold(ro, name) {
			return errf(http.StatusBadRequest, "mutability", name+" is set by the server and cannot be changed")
		}
	}
	key := canonicalKey(container, name)
	sub := p.AttributePath.SubAttributeName()
	if p.SubAttribute != nil {
		sub = *p.SubAttribute
	}
	if p.ValueExpression != nil {
		return applyFiltered(container, key, p.ValueExpression, sub, op)
	}
	if sub != "" {
		inner, _ := container[key].(map[string]any)
		if inner == nil {
			if op.Op == "remove" {
				return nil
			}
			inner = map[string]any{}
			container[key] = inner
		}
		subKey := canonicalKey(inner, sub)
		if op.Op == "remove" {
			delete(inner, subKey)
		} else {
			inner[subKey] = op.Value
		}
		return nil
	}
	switch op.Op {
	case "remove":
		delete(container, key)
	case "add":
		// add to a multi-valued attribute appends (RFC 7644 §3.5.2.1);
		// to anything else it sets, which is what Entra means by "Add".
		if cur, ok := container[key].([]any); ok {
			if add, ok := op.Value.([]any); ok {
				container[key] = append(cur, add...)
				return nil
			}
		}
		if m, ok := op.Value.(map[string]any); ok {
			if cur, ok := container[key].(map[string]any); ok {
				for k, v := range m {
					cur[canonicalKey(cur, k)] = v
				}
				return nil
			}
		}
		container[key] = op.Value
	default:
		container[key] = op.Value
	}
	return nil
}

// applyFiltered applies op to the elements of the multi-valued attribute
// key that match expr, or to their sub-attribute sub. An add or replace of
// emails[type eq "work"].value when there is no work email adds one, as
// Entra ID expects.
func applyFiltered(container map[string]any, key string, expr filter.Expression, sub string, op patchOp) *Error {
	list, _ := container[key].([]any)
	matched := false
	out := list[:0:0]
	for _, el := range list {
		m, ok := el.(map[string]any)
		if !ok || !matches(m, expr) {
			out = append(out, el)
			continue
		}
		matched = true
		switch {
		case op.Op == "remove" && sub == "":
			continue // drop the element
		case op.Op == "remove":
			delete(m, canonicalKey(m, sub))
		case sub == "":
			if v, ok := op.Value.(map[string]any); ok {
				for k, x := range v {
					m[canonicalKey(m, k)] = x
				}
			} else {
				return errf(http.StatusBadRequest, "invalidValue", "a value for "+key+"[…] must be an object")
			}
		default:
			m[canonicalKey(m, sub)] = op.Value
		}
		out = append(out, m)
	}
	if !matched {
		if op.Op == "remove" {
			return nil
		}
		typ, ok := typeEq(expr)
		if !ok {
			return errf(http.StatusBadRequest, "noTarget", "no value of "+key+" matches the path's filter")
		}
		el := map[string]any{"type": typ}
		if sub != "" {
			el[sub] = op.Value
		} else if v, ok := op.Value.(map[string]any); ok {
			for k, x := range v {
				el[k] = x
			}
		}
		out = append(out, el)
	}
	container[key] = out
	return nil
}

// typeEq returns X when expr is `type eq "X"`.
func typeEq(expr filter.Expression) (string, bool) {
	e, ok := expr.(*filter.AttributeExpression)
	if !ok || !strings.EqualFold(e.AttributePath.AttributeName, "type") || e.AttributePath.SubAttribute != nil || e.Operator != filter.EQ {
		return "", false
	}
	s, ok := e.CompareValue.(string)
	return s, ok
}

// matches evaluates a value filter against one element of a multi-valued
// attribute. Strings compare without regard to case: the sub-attributes
// these filters name (type, value of emails and members) are not caseExact.
func matches(m map[string]any, expr filter.Expression) bool {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return matches(m, e.Left) && matches(m, e.Right)
		}
		return matches(m, e.Left) || matches(m, e.Right)
	case *filter.NotExpression:
		return !matches(m, e.Expression)
	case *filter.AttributeExpression:
		v, ok := get(m, e.AttributePath.AttributeName)
		if e.Operator == filter.PR {
			return ok && v != nil && v != ""
		}
		switch want := e.CompareValue.(type) {
		case string:
			got, _ := v.(string)
			got, want = strings.ToLower(got), strings.ToLower(want)
			switch e.Operator {
			case filter.EQ:
				return got == want
			case filter.NE:
				return got != want
			case filter.CO:
				return strings.Contains(got, want)
			case filter.SW:
				return strings.HasPrefix(got, want)
			case filter.EW:
				return strings.HasSuffix(got, want)
			}
		case bool:
			got, _ := asBool(v)
			if e.Operator == filter.EQ {
				return got == want
			}
			if e.Operator == filter.NE {
				return got != want
			}
		}
	}
	return false
}

// canonicalKey is the key m already uses for name (any case), or name.
func canonicalKey(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// asBool reads a SCIM boolean, also as the strings "True" and "False"
// Entra ID sends.
func asBool(v any) (bool, bool) {
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		switch strings.ToLower(b) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
