// Package cli holds the rollcall command tree (cobra): serve and admin work
// on the server and database directly; every other command goes through the
// public client package only.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rollcall/rollcall/internal/version"
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
		Version:       version.Get().String(),
	}
	root.SetVersionTemplate("rollcall {{.Version}}\n")
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
		newVersionCommand(),
	)
	strictUsage(root)
	setupCompletion(root)
	return root
}

// strictUsage makes every usage mistake in the tree under root a
// usageError (exit 2) that says what was wrong and what is valid: an
// unknown or missing subcommand, an unknown flag or a bad flag value, and
// a wrong number of arguments. Cobra on its own prints help and exits 0
// for an unknown subcommand of a command that only groups others.
func strictUsage(root *cobra.Command) {
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := cmd.Root().Find(args)
			if err != nil || c == nil || len(rest) > 0 {
				return usagef("no help topic %q; the commands are listed by rollcall --help", strings.Join(args, " "))
			}
			return c.Help()
		},
	})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.SetFlagErrorFunc(flagError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = cobra.ArbitraryArgs
			c.RunE = groupCommand
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[groupAnnotation] = "true"
		}
		if orig := c.Args; orig != nil {
			c.Args = func(cmd *cobra.Command, args []string) error {
				return argsError(cmd, orig(cmd, args), args)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// groupAnnotation marks a command that only groups subcommands, as
// opposed to one that has subcommands and also runs itself
// (users setup-link USER).
const groupAnnotation = "rollcall/group"

// isGroupCommand says whether c only groups subcommands.
func isGroupCommand(c *cobra.Command) bool { return c.Annotations[groupAnnotation] == "true" }

// groupCommand runs a command that only groups subcommands, when no known
// subcommand was named: the root alone prints its help; anything else is
// a usage error that lists the commands there are.
func groupCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 && !cmd.HasParent() {
		return cmd.Help()
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	choices := strings.Join(names, ", ")
	if len(args) == 0 {
		return usagef("%s needs a command: one of %s (see %s --help)", cmd.CommandPath(), choices, cmd.CommandPath())
	}
	msg := fmt.Sprintf("unknown command %q for %s", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return usagef("%s; the commands are %s (see %s --help)", msg, choices, cmd.CommandPath())
}

// argsError turns an error of a command's argument check into a usage
// error that points at the command's help.
func argsError(cmd *cobra.Command, err error, args []string) error {
	if err == nil {
		return nil
	}
	var ue usageError
	if errors.As(err, &ue) {
		return err
	}
	if strings.HasPrefix(err.Error(), "unknown command") { // cobra.NoArgs
		return usagef("%s takes no arguments, got %d (%s); see %s --help", cmd.CommandPath(), len(args), strings.Join(args, " "), cmd.CommandPath())
	}
	return usagef("%s: %v; see %s --help", cmd.CommandPath(), err, cmd.CommandPath())
}

// flagError makes a flag parsing error a usage error; an unknown flag is
// answered with the flags the command has.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand flag") {
		var names []string
		cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			n := "--" + f.Name
			if f.Shorthand != "" {
				n = "-" + f.Shorthand + "/" + n
			}
			names = append(names, n)
		})
		if len(names) > 0 {
			msg += fmt.Sprintf("; %s takes %s and the common flags", cmd.CommandPath(), strings.Join(names, ", "))
		}
	}
	return usageError{fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())}
}
