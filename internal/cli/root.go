// Package cli holds the rollcall command tree (cobra): serve and admin work
// on the server and database directly; every other command goes through the
// public client package only.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes that let scripts tell failures apart.
const (
	ExitOK       = 0
	ExitError    = 1 // server error, network error, anything else
	ExitUsage    = 2 // bad flags or arguments, invalid input
	ExitNotFound = 3
	ExitConflict = 4
)

// Execute runs the command line of the process and returns its exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// Run runs one command line with the given streams; tests call it directly.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "Error:", err)
	}
	return exitCode(err)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "rollcall",
		Short:         "Rollcall: a user directory and passkey identity provider managed as code",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCommand(),
		newAdminCommand(),
		newLoginCommand(),
		newWhoamiCommand(),
		newUsersCommand(),
		newGroupsCommand(),
		newClientsCommand(),
		newTokensCommand(),
		newAuditCommand(),
		newImportCommand(),
		newExportCommand(),
	)
	return root
}
