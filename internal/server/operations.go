package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// atomicExtension is the URI of the JSON:API Atomic Operations extension.
const atomicExtension = "https://jsonapi.org/ext/atomic"

// operationsBodyFactor is how many times the normal body limit an
// operations request may be: 1000 users with every attribute set do not
// fit in 1 MiB, and bulk import is the point of this endpoint.
const operationsBodyFactor = 16

// atomicAPI is Server.api for the operations endpoint: the same content
// negotiation (Accept may name the atomic extension), media type and
// authentication checks, with a body limit sized for 1000 operations.
func (s *Server) atomicAPI(h http.HandlerFunc) http.Handler {
	limit := s.cfg.BodyLimit * operationsBodyFactor
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := checkAccept(r.Header.Values("Accept"), atomicExtension); e != nil {
			s.writeError(w, r, e)
			return
		}
		if e := checkMediaType(r.Header.Get("Content-Type")); e != nil {
			e.Detail += "; operations take Content-Type: " + api.AtomicMediaType
			s.writeError(w, r, e)
			return
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, errBodyTooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		s.authenticate(h).ServeHTTP(w, r)
	})
}

// operationsDocument is the request body of POST /api/v1/operations.
type operationsDocument struct {
	Operations *[]api.AtomicOperation `json:"atomic:operations"`
	JSONAPI    json.RawMessage        `json:"jsonapi,omitempty"`
	Meta       json.RawMessage        `json:"meta,omitempty"`
}

// POST /api/v1/operations — JSON:API Atomic Operations, admins only. Up to
// api.MaxAtomicOperations operations run in one transaction: all of them
// apply or none does. An error names the failing operation by its index
// in source.pointer ("/atomic:operations/3/data/attributes/email").
func (s *Server) postOperations(w http.ResponseWriter, r *http.Request) {
	p := caller(r)
	if !p.admin() {
		s.writeError(w, r, errForbidden("atomic operations need an admin token"))
		return
	}
	if e := checkAtomicExtension(r.Header.Get("Content-Type")); e != nil {
		s.writeError(w, r, e)
		return
	}
	var doc operationsDocument
	if err := decodeOperations(r, &doc); err != nil {
		s.writeError(w, r, err)
		return
	}
	if doc.Operations == nil {
		s.writeError(w, r, errBadDocument("/atomic:operations",
			`the document has no "atomic:operations" array; send {"atomic:operations": [{"op": "add", "data": {...}}, ...]}`))
		return
	}
	ops := *doc.Operations
	if len(ops) == 0 {
		s.writeError(w, r, errBadDocument("/atomic:operations", `"atomic:operations" is empty; send at least one operation`))
		return
	}
	if len(ops) > api.MaxAtomicOperations {
		s.writeError(w, r, &api.Error{Status: "413", Code: api.CodeBodyTooLarge, Title: "Too many operations",
			Detail: fmt.Sprintf("the request has %d operations; at most %d are allowed per request, send the rest in further requests",
				len(ops), api.MaxAtomicOperations),
			Source: &api.ErrorSource{Pointer: "/atomic:operations"}})
		return
	}
	// Every operation is checked and decoded first, and all malformed ones
	// are reported together; only then does the transaction start.
	apply := make([]applyFunc, len(ops))
	newUsers := make([]*api.UserWrite, len(ops))
	prepErrs := make([]error, len(ops))
	inParallel(len(ops), func(i int) {
		if uw, ok := addUserData(&ops[i]); ok {
			newUsers[i] = uw
		} else {
			apply[i], prepErrs[i] = s.prepareOperation(&ops[i])
		}
	})
	var bad api.Errors
	for i, err := range prepErrs {
		if err != nil {
			errs, ok := atOperation(i, err).(api.Errors)
			if !ok {
				s.writeError(w, r, err)
				return
			}
			bad = append(bad, errs...)
		}
	}
	if len(bad) > 0 {
		s.writeError(w, r, bad)
		return
	}
	m := p.meta(r)
	results := make([]api.AtomicResult, len(ops))
	err := s.store.Atomic(r.Context(), func(tx store.Store) error {
		for i := 0; i < len(ops); {
			if newUsers[i] != nil {
				n, err := s.createUsersRun(r.Context(), tx, m, newUsers[i:], results[i:])
				if err != nil {
					return err.at(i)
				}
				i += n
				continue
			}
			res, err := apply[i](r.Context(), tx, m)
			if err != nil {
				return atOperation(i, err)
			}
			results[i] = res
			i++
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeAtomic(w, api.AtomicResultsDocument{Results: results})
}

// decodeOperations decodes the body of POST /api/v1/operations. A bulk
// import sends a megabyte a request, and decodeBody's generic pass, which
// builds the whole document as maps to match member names exactly, cost
// as much as the decode itself. Here only the envelope's member names are
// checked (each operation's data is decoded strictly when it is
// prepared); a document this does not take as it is (an operation with a
// ref, a member in another case, anything malformed) goes through
// decodeBody, for the same errors as any other endpoint.
func decodeOperations(r *http.Request, doc *operationsDocument) error {
	body, err := io.ReadAll(r.Body)
	if err == nil && utf8.Valid(body) && decodeOperationsFast(body, doc) {
		return nil
	}
	var rest io.Reader = bytes.NewReader(body)
	if err != nil {
		rest = io.MultiReader(rest, failingReader{err})
	}
	r.Body = io.NopCloser(rest)
	*doc = operationsDocument{}
	return decodeBody(r, doc)
}

// failingReader replays a read error for decodeBody to report.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// decodeOperationsFast decodes an operations document whose envelope has
// only known members, spelt exactly, and whose operations have no ref. It
// reports false for anything else.
func decodeOperationsFast(body []byte, doc *operationsDocument) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case "atomic:operations":
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return false
			}
			ops := []api.AtomicOperation{}
			for dec.More() {
				var m map[string]json.RawMessage
				if dec.Decode(&m) != nil || m == nil {
					return false
				}
				var op api.AtomicOperation
				for k, v := range m {
					switch k {
					case "op":
						if json.Unmarshal(v, &op.Op) != nil {
							return false
						}
					case "data":
						op.Data = v
					default: // a ref, or an unknown member
						return false
					}
				}
				ops = append(ops, op)
			}
			if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
				return false
			}
			doc.Operations = &ops
		case "jsonapi", "meta":
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return false
			}
		default:
			return false
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		return false
	}
	// The members of each operation went through a map, which keeps one
	// of two members of the same name: such a body goes to decodeBody,
	// which refuses it.
	return api.CheckDuplicateMembers(body) == nil
}

// checkAtomicExtension demands the atomic extension on a JSON:API media
// type, as the extension requires; plain application/json is accepted
// for curl users.
func checkAtomicExtension(ct string) *api.Error {
	mt, params, _ := mime.ParseMediaType(ct)
	if mt == "application/json" {
		return nil
	}
	for _, ext := range strings.Fields(params["ext"]) {
		if ext == atomicExtension {
			return nil
		}
	}
	return &api.Error{Status: "415", Code: api.CodeUnsupportedMediaType, Title: "Unsupported media type",
		Detail: "operations need the atomic extension: send Content-Type: " + api.AtomicMediaType,
		Source: &api.ErrorSource{Header: "Content-Type"}}
}

// writeAtomic writes an atomic results document with the extension's
// media type. The document is put together from the results' data, which
// resultOf encoded already: encoding it again with json.Marshal would only
// validate and copy every byte of a thousand resources once more.
func writeAtomic(w http.ResponseWriter, doc api.AtomicResultsDocument) {
	size := len(`{"atomic:results":[]}`) + 1
	for _, r := range doc.Results {
		size += len(r.Data) + len(`{"data":},`)
	}
	b := make([]byte, 0, size)
	b = append(b, `{"atomic:results":[`...)
	for i, r := range doc.Results {
		if i > 0 {
			b = append(b, ',')
		}
		if len(r.Data) == 0 {
			b = append(b, `{}`...)
			continue
		}
		b = append(b, `{"data":`...)
		b = append(b, r.Data...)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	h := w.Header()
	h.Set("Content-Type", api.AtomicMediaType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// atOperation rewrites the error of operation i so that every error
// object's pointer starts at that operation. Errors that are not the
// client's fault pass through unchanged, to be logged as internal.
func atOperation(i int, err error) error {
	_, objs, internal := errorObjects(err)
	if internal {
		return err
	}
	base := "/atomic:operations/" + strconv.Itoa(i)
	out := make(api.Errors, len(objs))
	for j := range objs {
		e := objs[j]
		switch {
		case e.Source == nil:
			e.Source = &api.ErrorSource{Pointer: base}
		case e.Source.Pointer != "":
			e.Source = &api.ErrorSource{Pointer: base + e.Source.Pointer}
		case e.Source.Header == "If-Match":
			e.Source = &api.ErrorSource{Pointer: base}
		}
		e.Detail = "operation " + strconv.Itoa(i) + ": " + e.Detail
		out[j] = &e
	}
	return out
}

// addUserData decodes the data of an operation that adds a user (ok is
// false for any other operation, and for one whose data does not decode:
// prepareOperation then reports it). Such operations are applied in runs
// by createUsersRun rather than one by one.
func addUserData(op *api.AtomicOperation) (w *api.UserWrite, ok bool) {
	if op.Op != api.OpAdd || op.Ref != nil || len(op.Data) == 0 {
		return nil, false
	}
	w, ok = decodeStrictFast[api.UserWrite](op.Data)
	if !ok || w.Type != api.TypeUsers {
		return nil, false // prepareOperation decodes (or refuses) it exactly
	}
	return w, true
}

// runError is the error of the operation at index (relative to the run).
type runError struct {
	index int
	err   error
}

// at returns the error with pointers into operation start+index.
func (e *runError) at(start int) error { return atOperation(start+e.index, e.err) }

// createUsersRun applies the run of add-user operations at the start of
// writes (up to the first nil) with one bulk store call, and fills their
// results. It returns how many operations it applied. The outcome is the
// one of applying them one by one: the first invalid operation, or the
// first the store refuses, is the error, with the same error objects as
// createUserIn gives.
func (s *Server) createUsersRun(ctx context.Context, tx store.Store, m store.Meta, writes []*api.UserWrite, results []api.AtomicResult) (int, *runError) {
	users := make([]store.User, 0, len(writes))
	var invalid *runError
	for i, w := range writes {
		if w == nil {
			break
		}
		u, err := userFromWrite(w)
		if err != nil {
			invalid = &runError{index: i, err: err}
			break
		}
		users = append(users, u)
	}
	if len(users) > 0 {
		created, err := tx.CreateUsers(ctx, users, m)
		if err != nil {
			var be *store.BatchError
			if errors.As(err, &be) && be.Index >= 0 && be.Index < len(users) {
				return 0, &runError{index: be.Index, err: mapReference(be.Err, groupsPointer, users[be.Index].GroupIDs)}
			}
			return 0, &runError{index: 0, err: err}
		}
		errs := make([]error, len(created))
		inParallel(len(created), func(i int) {
			results[i], errs[i] = resultOf(s.userResource(created[i]))
		})
		for i, err := range errs {
			if err != nil {
				return 0, &runError{index: i, err: err}
			}
		}
	}
	if invalid != nil {
		return 0, invalid
	}
	return len(users), nil
}

// inParallel calls fn(0) … fn(n-1) spread over the CPUs, and returns when
// all have returned. Decoding a thousand operations, and encoding their
// results, is most of a bulk request's work outside the store; fn must
// only write to its own index.
func inParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for start := 0; start < n; start += per {
		wg.Go(func() {
			for i := start; i < min(start+per, n); i++ {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// parallelMin is the fewest items worth a goroutine of their own.
const parallelMin = 64

// applyFunc applies one prepared operation inside the transaction.
type applyFunc func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error)

// prepareOperation checks and decodes one operation before the transaction
// starts, so that the write lock is held only for the store work, and
// returns what applies it. Pointers in its errors are relative to the
// operation.
func (s *Server) prepareOperation(op *api.AtomicOperation) (applyFunc, error) {
	switch op.Op {
	case api.OpAdd, api.OpUpdate, api.OpRemove:
	case "":
		return nil, errBadDocument("/op", `op is required: "add", "update" or "remove"`)
	default:
		return nil, errBadDocument("/op", fmt.Sprintf(`op %q is not an operation; use "add", "update" or "remove"`, op.Op))
	}
	if op.Ref != nil && op.Ref.Relationship != "" {
		return s.prepareRelationship(op)
	}
	switch op.Op {
	case api.OpAdd:
		if op.Ref != nil {
			return nil, errBadDocument("/ref", "add creates a resource from data and takes no ref (except to add to a relationship)")
		}
		typ, err := dataType(op.Data)
		if err != nil {
			return nil, err
		}
		switch typ {
		case api.TypeUsers:
			w, err := decodeOperationData[api.UserWrite](op.Data)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
				u, err := createUserIn(ctx, tx, m, w)
				if err != nil {
					return api.AtomicResult{}, err
				}
				return resultOf(s.userResource(u))
			}, nil
		case api.TypeGroups:
			w, err := decodeOperationData[api.GroupWrite](op.Data)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
				g, err := createGroupIn(ctx, tx, m, w)
				if err != nil {
					return api.AtomicResult{}, err
				}
				return resultOf(s.groupResource(g))
			}, nil
		}
		return nil, unsupportedType("/data/type", typ)
	case api.OpUpdate:
		typ, id, err := operationTarget(op)
		if err != nil {
			return nil, err
		}
		switch typ {
		case api.TypeUsers:
			w, err := decodeOperationData[api.UserWrite](op.Data)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
				u, err := updateUserIn(ctx, tx, m, id, 0, w)
				if err != nil {
					return api.AtomicResult{}, notFoundAs(err, "user "+id)
				}
				return resultOf(s.userResource(u))
			}, nil
		default: // groups
			w, err := decodeOperationData[api.GroupWrite](op.Data)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
				g, err := updateGroupIn(ctx, tx, m, id, 0, w)
				if err != nil {
					return api.AtomicResult{}, notFoundAs(err, "group "+id)
				}
				return resultOf(s.groupResource(g))
			}, nil
		}
	default: // remove
		if len(op.Data) > 0 && string(op.Data) != "null" {
			return nil, errBadDocument("/data", "remove takes only a ref naming the resource, no data")
		}
		typ, id, err := operationTarget(op)
		if err != nil {
			return nil, err
		}
		if typ == api.TypeUsers {
			return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
				return api.AtomicResult{}, notFoundAs(deleteUserIn(ctx, tx, m, id, 0), "user "+id)
			}, nil
		}
		return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
			return api.AtomicResult{}, notFoundAs(tx.DeleteGroup(ctx, id, 0, m), "group "+id)
		}, nil
	}
}

// prepareRelationship prepares a membership operation: ref names a group's
// members or a user's groups; add adds, update replaces, remove removes.
func (s *Server) prepareRelationship(op *api.AtomicOperation) (applyFunc, error) {
	typ, id, err := operationTarget(op)
	if err != nil {
		return nil, err
	}
	var ids []api.ResourceIdentifier
	if err := json.Unmarshal(op.Data, &ids); err != nil || ids == nil {
		return nil, errBadDocument("/data", "a relationship operation's data must be an array of resource identifiers such as [{\"type\": \"users\", \"id\": \"…\"}]; send [] for none")
	}
	mop := store.MembershipReplace
	switch op.Op {
	case api.OpAdd:
		mop = store.MembershipAdd
	case api.OpRemove:
		mop = store.MembershipRemove
	}
	switch {
	case typ == api.TypeGroups && op.Ref.Relationship == "members":
		userIDs, err := linkageIDs(ids, api.TypeUsers, "/data")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
			_, err := changeGroupMembersIn(ctx, tx, m, id, 0, mop, userIDs)
			return api.AtomicResult{}, notFoundAs(err, "group "+id)
		}, nil
	case typ == api.TypeUsers && op.Ref.Relationship == "groups":
		groupIDs, err := linkageIDs(ids, api.TypeGroups, "/data")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, tx store.Store, m store.Meta) (api.AtomicResult, error) {
			_, err := changeUserGroupsIn(ctx, tx, m, id, 0, mop, groupIDs)
			return api.AtomicResult{}, notFoundAs(err, "user "+id)
		}, nil
	}
	return nil, errBadDocument("/ref/relationship", fmt.Sprintf(
		"%s has no relationship %q here; use \"members\" on groups or \"groups\" on users", typ, op.Ref.Relationship))
}

// operationTarget returns the type and canonical id an update or remove
// is about: from ref, or for update from data's type and id.
func operationTarget(op *api.AtomicOperation) (typ, id string, err error) {
	ptr := "/ref"
	if op.Ref != nil {
		typ, id = op.Ref.Type, op.Ref.ID
	} else if op.Op == api.OpUpdate {
		var d struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		_ = json.Unmarshal(op.Data, &d)
		typ, id, ptr = d.Type, d.ID, "/data"
	} else {
		return "", "", errBadDocument("/ref", `remove needs a ref naming the resource, such as {"type": "users", "id": "…"}`)
	}
	if typ != api.TypeUsers && typ != api.TypeGroups {
		return "", "", unsupportedType(ptr+"/type", typ)
	}
	canon, e := api.ValidateID(id)
	if e != nil {
		e.Source = &api.ErrorSource{Pointer: ptr + "/id"}
		return "", "", e
	}
	return typ, canon, nil
}

func unsupportedType(ptr, typ string) error {
	return errBadDocument(ptr, fmt.Sprintf("type %q is not supported by operations; use \"users\" or \"groups\"", typ))
}

// dataType reads the type member of an operation's data.
func dataType(data json.RawMessage) (string, error) {
	var d struct {
		Type string `json:"type"`
	}
	if len(data) == 0 || json.Unmarshal(data, &d) != nil {
		return "", errBadDocument("/data", "add needs data: a resource object such as {\"type\": \"users\", \"attributes\": {...}}")
	}
	if d.Type == "" {
		return "", errBadDocument("/data/type", "data.type is required: \"users\" or \"groups\"")
	}
	return d.Type, nil
}

// decodeOperationData decodes an operation's data strictly. The fast path
// is one strict decode; only a bad document goes through decodeBody,
// which finds the offending member for the error's pointer.
func decodeOperationData[T any](data json.RawMessage) (*T, error) {
	if v, ok := decodeStrictFast[T](data); ok {
		return v, nil
	}
	body := append(append([]byte(`{"data":`), data...), '}')
	r, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return decodeData[T](r)
}

func resultOf(v any) (api.AtomicResult, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return api.AtomicResult{}, err
	}
	return api.AtomicResult{Data: b}, nil
}
