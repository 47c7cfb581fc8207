package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/client"
)

func newExportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write resources in bulk to standard output",
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(newExportUsersCommand(o))
	return cmd
}

func newExportUsersCommand(o *connOptions) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "users [--format csv|jsonl]",
		Short: "Write every user in the import format, ordered by username",
		Long: `Write every user in the format rollcall import users reads, ordered by
username with a fixed column order, so that export, import and export again
gives the same bytes and the import changes nothing.`,
		Example: "  rollcall export users > people.csv\n  rollcall export users --format jsonl > people.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "csv" && format != "jsonl" {
				return usagef("--format %q is not a format; use csv or jsonl", format)
			}
			return o.run(cmd, func(ctx context.Context, c *client.Client, _ string) error {
				// Every user is written, so every group is read once
				// rather than with each page of users.
				ix, err := loadGroups(ctx, c)
				if err != nil {
					return err
				}
				out := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
				cw := csv.NewWriter(out)
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				if format == "csv" {
					if err := cw.Write(userColumns); err != nil {
						return err
					}
				}
				for page, err := range c.Users.Pages(ctx, client.ListUsersOptions{PageSize: client.MaxPageSize}) {
					if err != nil {
						return err
					}
					for i := range page {
						if format == "csv" {
							err = cw.Write(userRecord(&page[i], ix))
						} else {
							err = enc.Encode(userLineOf(&page[i], ix))
						}
						if err != nil {
							return err
						}
					}
				}
				cw.Flush()
				if err := cw.Error(); err != nil {
					return err
				}
				return out.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	return cmd
}
