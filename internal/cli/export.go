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
			format, err := exportFormat(cmd, o, format)
			if err != nil {
				return err
			}
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
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
	cmd.Flags().StringVar(&format, "format", "csv", "csv or jsonl (the same as -o csv or -o json)")
	return cmd
}

// exportFormat reads the file format from --format or -o, which mean the
// same here: export writes the import format, so -o json is JSON lines
// (one user object per line, as import reads) and -o table is refused.
// It resets -o so that the command's preamble accepts it.
func exportFormat(cmd *cobra.Command, o *connOptions, format string) (string, error) {
	if cmd.Flags().Changed("output") {
		var fromO string
		switch o.output {
		case "csv":
			fromO = "csv"
		case "json":
			fromO = "jsonl"
		case "table":
			return "", usagef("-o table is not available for %s, which writes the import format; use -o csv (the default) or -o json (JSON lines)", cmd.CommandPath())
		default:
			return "", usagef("--output %q is not a format of %s; use -o csv (the default) or -o json (JSON lines); table is for people, not for import", o.output, cmd.CommandPath())
		}
		if cmd.Flags().Changed("format") && format != fromO && !(format == "json" && fromO == "jsonl") {
			return "", usagef("--format %s and -o %s disagree; give one of them", format, o.output)
		}
		format = fromO
	}
	switch format {
	case "csv", "jsonl":
	case "json", "ndjson":
		format = "jsonl"
	default:
		return "", usagef("--format %q is not a format; use csv or jsonl", format)
	}
	o.output = "table"
	return format, nil
}
