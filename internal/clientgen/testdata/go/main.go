// Command clientgen uses a Go client that oapi-codegen generated from
// api/openapi.json (client.gen.go, written by the test in
// internal/clientgen and not committed) against a real Rollcall server at
// ROLLCALL_URL with the admin token ROLLCALL_TOKEN: it creates a user,
// finds it in a list, reads it back, sees a JSON:API error, and deletes
// it. It prints "ok" when every step answered as the description says.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "clientgen:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
}

func run(ctx context.Context) error {
	base, token := os.Getenv("ROLLCALL_URL"), os.Getenv("ROLLCALL_TOKEN")
	if base == "" || token == "" {
		return fmt.Errorf("set ROLLCALL_URL and ROLLCALL_TOKEN")
	}
	c, err := NewClientWithResponses(base, WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Accept", "application/vnd.api+json")
		return nil
	}))
	if err != nil {
		return err
	}

	first, team := "Gopher", map[string]string{"team": "go"}
	username, email := "go.client", "go.client@example.com"
	created, err := c.CreateUserWithApplicationVndAPIPlusJSONBodyWithResponse(ctx, UserWriteDocument{Data: UserWrite{
		Type:       "users",
		Attributes: &UserWriteAttributes{Username: &username, Email: &email, FirstName: &first, Attributes: &team},
	}})
	if err != nil {
		return fmt.Errorf("create a user: %w", err)
	}
	if created.StatusCode() != http.StatusCreated || created.ApplicationvndApiJSON201 == nil {
		return fmt.Errorf("create a user: %d %s", created.StatusCode(), created.Body)
	}
	id := created.ApplicationvndApiJSON201.Data.Id

	size := PageSize(10)
	listed, err := c.ListUsersWithResponse(ctx, &ListUsersParams{FilterUsername: &username, PageSize: &size})
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if listed.ApplicationvndApiJSON200 == nil || len(listed.ApplicationvndApiJSON200.Data) != 1 || listed.ApplicationvndApiJSON200.Data[0].Id != id {
		return fmt.Errorf("list users by username: %d %s", listed.StatusCode(), listed.Body)
	}

	got, err := c.GetUserWithResponse(ctx, id, nil)
	if err != nil {
		return fmt.Errorf("get the user: %w", err)
	}
	if got.ApplicationvndApiJSON200 == nil {
		return fmt.Errorf("get the user: %d %s", got.StatusCode(), got.Body)
	}
	if a := got.ApplicationvndApiJSON200.Data.Attributes; a.Username != username || a.FirstName == nil || *a.FirstName != first || a.Attributes["team"] != "go" {
		return fmt.Errorf("the user reads back as %s", got.Body)
	}

	nosuch := "nosuch"
	missing, err := c.ListUsersWithResponse(ctx, &ListUsersParams{FilterGroup: &nosuch})
	if err != nil {
		return fmt.Errorf("list users of a group that does not exist: %w", err)
	}
	if e := missing.ApplicationvndApiJSON404; e == nil || len(e.Errors) != 1 || e.Errors[0].Code != "not_found" ||
		e.Errors[0].Source == nil || e.Errors[0].Source.Parameter == nil || *e.Errors[0].Source.Parameter != "filter[group]" {
		return fmt.Errorf("list users of a group that does not exist: %d %s", missing.StatusCode(), missing.Body)
	}

	removed, err := c.DeleteUserWithResponse(ctx, id, nil)
	if err != nil {
		return fmt.Errorf("delete the user: %w", err)
	}
	if removed.StatusCode() != http.StatusNoContent {
		return fmt.Errorf("delete the user: %d %s", removed.StatusCode(), removed.Body)
	}
	return nil
}
