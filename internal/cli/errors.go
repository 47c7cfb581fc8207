package cli

import (
	"errors"

	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/store"
)

// clientExitCode maps the client's errors to exit codes: a missing user or
// group is 3, a conflict (name taken, stale If-Match) 4, input the server
// refused as invalid 2 like a usage error, anything else 1.
func clientExitCode(err error) int {
	switch {
	case client.IsNotFound(err), errors.Is(err, store.ErrNotFound):
		return ExitNotFound
	case client.IsConflict(err), errors.Is(err, client.ErrPreconditionFailed):
		return ExitConflict
	}
	if ae, ok := client.AsAPIError(err); ok && (ae.StatusCode == 400 || ae.StatusCode == 422) {
		return ExitUsage
	}
	return ExitError
}
