package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/internal/version"
)

// newVersionCommand prints the same line as rollcall --version.
func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this rollcall binary",
		Long: `Print the version of this rollcall binary: the release version (or "devel"
for a build from a work tree) and the commit it was built from. A running
server's version is in the "version" field of its /healthz answer and in its
Server header.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "rollcall "+version.Get().String())
			return err
		},
	}
}
