package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/client"
)

func newLoginCommand() *cobra.Command {
	var o *connOptions
	cmd := &cobra.Command{
		Use:   "login --url URL --token TOKEN",
		Short: "Check a server URL and token and save them for later commands",
		Long: `Check a server URL and token and save them for later commands.

The token is verified with GET /api/v1/account and then written with the URL
to the config file (mode 0600), by default ` + defaultConfigHint() + `.
--config or ROLLCALL_CONFIG choose another file. Later commands read it when
--url/--token and ROLLCALL_URL/ROLLCALL_TOKEN are not given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.messagesOnly(cmd); err != nil {
				return err
			}
			url, token, err := o.resolve()
			if err != nil {
				return err
			}
			c, err := o.clientFor(cmd, url, token)
			if err != nil {
				return err
			}
			me, err := c.Account(cmd.Context())
			if client.IsUnauthorized(err) || errors.Is(err, client.ErrForbidden) {
				return fmt.Errorf("the token was not accepted by %s: %w", c.BaseURL(), err)
			}
			if err != nil {
				return err
			}
			path, err := o.configPath()
			if err != nil {
				return err
			}
			if err := writeConfig(path, fileConfig{URL: c.BaseURL(), Token: token}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Logged in to %s as %s; saved to %s\n", c.BaseURL(), me.Attributes.Username, path)
			return nil
		},
	}
	o = addConnFlags(cmd)
	return cmd
}

func newWhoamiCommand() *cobra.Command {
	var o *connOptions
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the user the token belongs to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				me, groups, err := c.AccountWithGroups(ctx)
				if err != nil {
					return err
				}
				return showUser(ctx, cmd, c, me, indexGroups(groups), format)
			})
		},
	}
	o = addConnFlags(cmd)
	return cmd
}

// jsonKeys returns the member names of a JSON object, or none.
func jsonKeys(raw []byte) []string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
