package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rollcall/rollcall/api"
)

// Operation is one JSON:API atomic operation; build them with AddUser,
// UpdateUser, RemoveUser, AddGroup, UpdateGroup, RemoveGroup and the
// membership helpers.
type Operation = api.AtomicOperation

// OperationResult is the result of one operation, in request order.
type OperationResult = api.AtomicResult

// Operations sends up to api.MaxAtomicOperations operations in one request
// (POST /api/v1/operations, ext=atomic). They succeed or fail together: on
// failure nothing was changed, and each error's pointer starts with
// "/atomic:operations/N" naming the failing operation (see OperationIndex).
func (c *Client) Operations(ctx context.Context, ops []Operation) ([]OperationResult, error) {
	if len(ops) > api.MaxAtomicOperations {
		return nil, fmt.Errorf("rollcall: %d operations in one request; at most %d are allowed, send them in batches", len(ops), api.MaxAtomicOperations)
	}
	var doc api.AtomicResultsDocument
	body := api.AtomicDocument{Operations: ops}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/operations", body: body, contentType: api.AtomicMediaType}, &doc); err != nil {
		return nil, err
	}
	return doc.Results, nil
}

// ApplyOperations is Operations for callers that do not need the results:
// the response body is not decoded, which for 1,000 created users saves
// parsing about a megabyte of JSON per request (bulk import).
func (c *Client) ApplyOperations(ctx context.Context, ops []Operation) error {
	if len(ops) > api.MaxAtomicOperations {
		return fmt.Errorf("rollcall: %d operations in one request; at most %d are allowed, send them in batches", len(ops), api.MaxAtomicOperations)
	}
	body := api.AtomicDocument{Operations: ops}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/operations", body: body, contentType: api.AtomicMediaType}, nil)
	return err
}

// OperationIndex returns the index of the operation an error object is
// about, from its "/atomic:operations/N/..." pointer, or -1.
func OperationIndex(e api.Error) int {
	if e.Source == nil {
		return -1
	}
	var n int
	if _, err := fmt.Sscanf(e.Source.Pointer, "/atomic:operations/%d", &n); err != nil {
		return -1
	}
	return n
}

func mustRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// The api types always encode; a failure is a programming error.
		panic(fmt.Sprintf("client: encoding operation data: %v", err))
	}
	return b
}

// AddUser is an operation creating a user (see UsersService.Create).
func AddUser(attrs api.UserWriteAttributes, groupIDs *[]string, proposedID string) Operation {
	return Operation{Op: api.OpAdd, Data: mustRaw(NewUserWrite(proposedID, attrs, groupIDs))}
}

// UpdateUser is an operation updating a user (see UsersService.Update).
func UpdateUser(id string, attrs api.UserWriteAttributes, groupIDs *[]string) Operation {
	return Operation{Op: api.OpUpdate, Ref: &api.AtomicRef{Type: api.TypeUsers, ID: id}, Data: mustRaw(NewUserWrite(id, attrs, groupIDs))}
}

// RemoveUser is an operation deleting a user.
func RemoveUser(id string) Operation {
	return Operation{Op: api.OpRemove, Ref: &api.AtomicRef{Type: api.TypeUsers, ID: id}}
}

// AddGroup is an operation creating a group.
func AddGroup(attrs api.GroupWriteAttributes, memberIDs *[]string, proposedID string) Operation {
	return Operation{Op: api.OpAdd, Data: mustRaw(NewGroupWrite(proposedID, attrs, memberIDs))}
}

// UpdateGroup is an operation updating a group.
func UpdateGroup(id string, attrs api.GroupWriteAttributes, memberIDs *[]string) Operation {
	return Operation{Op: api.OpUpdate, Ref: &api.AtomicRef{Type: api.TypeGroups, ID: id}, Data: mustRaw(NewGroupWrite(id, attrs, memberIDs))}
}

// RemoveGroup is an operation deleting a group.
func RemoveGroup(id string) Operation {
	return Operation{Op: api.OpRemove, Ref: &api.AtomicRef{Type: api.TypeGroups, ID: id}}
}

// ChangeMembers is a membership operation on a group: op is api.OpUpdate
// (replace the member set), api.OpAdd or api.OpRemove.
func ChangeMembers(op, groupID string, userIDs []string) Operation {
	if userIDs == nil {
		userIDs = []string{}
	}
	return Operation{Op: op, Ref: &api.AtomicRef{Type: api.TypeGroups, ID: groupID, Relationship: "members"},
		Data: mustRaw(api.Identifiers(api.TypeUsers, userIDs))}
}
