package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/rollcall/rollcall/client"
)

// addAPIError turns a client error into a diagnostic a person can act on:
// a refused token names the variables to check, an unreachable server
// names the URL and what failed, and a validation error from the server is
// attached to the attribute its JSON pointer names.
func addAPIError(diags *diag.Diagnostics, c *client.Client, action string, err error) {
	apiErr, ok := client.AsAPIError(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Rollcall request timed out",
			fmt.Sprintf("Could not %s: the server at %s did not answer in time (%v). Raise the resource's timeouts or the provider's timeout argument, or check the server's health.", action, c.BaseURL(), err))
	case !ok:
		diags.AddError("Cannot reach the Rollcall server",
			fmt.Sprintf("Could not %s: the request to %s failed: %v. Check the provider's url argument (or ROLLCALL_URL) and that the server is running and reachable from here.", action, c.BaseURL(), err))
	case client.IsUnauthorized(err):
		diags.AddError("The Rollcall token was refused",
			fmt.Sprintf("The token was refused: check ROLLCALL_TOKEN (or the provider's token argument): it may be mistyped, expired or revoked. The server at %s answered 401: %s", c.BaseURL(), apiErr.Detail()))
	case errors.Is(err, client.ErrForbidden):
		diags.AddError("The Rollcall token is not allowed to do this",
			fmt.Sprintf("Could not %s: the token's user is not an admin; the provider needs an admin's token. The server answered 403: %s", action, apiErr.Detail()))
	default:
		title := "Rollcall refused the request"
		if apiErr.StatusCode >= 500 {
			title = "Rollcall server error"
		}
		for _, e := range apiErr.Errors {
			detail := fmt.Sprintf("Could not %s: %s", action, client.FormatError(e))
			if apiErr.RequestID != "" {
				detail += " (request id " + apiErr.RequestID + ")"
			}
			if e.Source != nil {
				if p, ok := pathForPointer(e.Source.Pointer); ok {
					diags.AddAttributeError(p, title, detail)
					continue
				}
			}
			diags.AddError(title, detail)
		}
		if len(apiErr.Errors) == 0 {
			diags.AddError(title, fmt.Sprintf("Could not %s: %v", action, err))
		}
	}
}

// pathForPointer maps a JSON pointer such as /data/attributes/first-name
// to the Terraform attribute first_name.
func pathForPointer(ptr string) (path.Path, bool) {
	name, ok := attrForPointer(ptr)
	if !ok {
		return path.Empty(), false
	}
	return path.Root(name), true
}

// attrForPointer maps a JSON pointer such as /data/attributes/first-name
// to the name of the Terraform attribute, first_name.
func attrForPointer(ptr string) (string, bool) {
	const attrs = "/data/attributes/"
	if !strings.HasPrefix(ptr, attrs) {
		if strings.HasPrefix(ptr, "/data/relationships/groups") {
			return "groups", true
		}
		return "", false
	}
	name := strings.TrimPrefix(ptr, attrs)
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	return strings.ReplaceAll(name, "-", "_"), true
}

// clientFrom takes the client the provider configured; it is nil while the
// provider's configuration is not yet known (a plan that creates the
// server), and then the caller must not call it.
func clientFrom(data any, diags *diag.Diagnostics) *client.Client {
	if data == nil {
		return nil
	}
	c, ok := data.(*client.Client)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("expected *client.Client, got %T; this is a bug in the provider, please report it", data))
		return nil
	}
	return c
}

// configured reports whether the provider has an API client. It has none
// while its url or token are only known after apply (they come from
// another resource); refreshing or changing resources then cannot work, and
// this says why instead of failing obscurely.
func configured(c *client.Client, diags *diag.Diagnostics) bool {
	if c != nil {
		return true
	}
	diags.AddError("The Rollcall provider is not configured yet",
		"The provider's url or token is not known yet (it depends on a resource that is not applied). Apply that resource first, for example with -target, or set ROLLCALL_URL and ROLLCALL_TOKEN.")
	return false
}
