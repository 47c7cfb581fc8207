//go:build !linux

package cli

import (
	"os"
	"testing"
)

// openPTY is implemented on Linux only; elsewhere the terminal tests fail
// and say so, rather than pass without having run.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Fatal("the terminal tests open a pseudo-terminal through Linux's /dev/ptmx; run them on Linux")
	return nil, nil
}
