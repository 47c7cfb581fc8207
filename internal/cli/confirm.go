package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// confirmer asks a person at a terminal to confirm a destructive change by
// typing the name of what it removes.
type confirmer struct {
	in       io.Reader
	terminal bool
	answers  *bufio.Reader
	prompt   io.Writer
}

func newConfirmer(cmd *cobra.Command) *confirmer {
	in := cmd.InOrStdin()
	f, ok := in.(*os.File)
	return &confirmer{in: in, terminal: ok && term.IsTerminal(int(f.Fd())), prompt: cmd.ErrOrStderr()}
}

// typed asks question and wants name typed back. Without a terminal to ask
// on it refuses as a usage error that points at --yes, so a script never
// hangs on a prompt nor deletes by accident.
func (c *confirmer) typed(name, question string) error {
	if !c.terminal {
		return usagef("not deleting %s without confirmation: standard input is not a terminal; pass --yes", name)
	}
	if c.answers == nil {
		c.answers = bufio.NewReader(c.in)
	}
	fmt.Fprintf(c.prompt, "%s\nType the username to confirm: ", question)
	line, err := c.answers.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		fmt.Fprintln(c.prompt)
		return fmt.Errorf("%s was not deleted: no answer", name)
	}
	if got := strings.TrimSpace(line); got != name {
		return fmt.Errorf("%s was not deleted: %q is not its username", name, got)
	}
	return nil
}
