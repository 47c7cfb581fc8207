package cli

import (
	"errors"
	"fmt"
)

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode maps an error to the process exit code. Client errors are mapped
// by exitCodeFor, extended as the client grows.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return exitCodeFor(err)
}

// exitCodeFor is the hook for error kinds beyond usage errors.
var exitCodeFor = clientExitCode
