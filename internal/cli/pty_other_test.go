//go:build !linux

package cli

import (
	"os"
	"testing"
)

// openPTY is implemented on Linux only; elsewhere the terminal tests skip.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Skip("pseudo-terminal tests run on Linux only")
	return nil, nil
}
