package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newTokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Create, list and revoke API tokens",
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(newTokensCreateCommand(o), newTokensListCommand(o), newTokensRevokeCommand(o))
	return cmd
}

// tokenRow is a token as a table row; owner is the username of the user
// it belongs to.
func tokenRow(t *api.APIToken, owner string) []string {
	a := t.Attributes
	return []string{t.ID, a.Name, a.Prefix, owner, strings.Join(a.Scopes, ","), timeCell(a.ExpiresAt), timeCell(a.LastUsedAt), timeCell(&a.CreatedAt)}
}

var tokenHeaders = []string{"ID", "NAME", "PREFIX", "USER", "SCOPES", "EXPIRES", "LAST USED", "CREATED"}

func newTokensCreateCommand(o *connOptions) *cobra.Command {
	var name, user, expiresAt string
	var scopes []string
	var expiresIn time.Duration
	cmd := &cobra.Command{
		Use:     "create --name NAME [--expires-in 720h | --expires-at TIME] [--user USER] [--scope admin|scim]",
		Short:   "Create an API token; the secret is printed once and never again",
		Example: "  rollcall tokens create --name terraform --expires-in 2160h --user ci-bot\n  rollcall tokens create --name okta --scope scim --user okta-provisioning",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				var exp *time.Time
				switch {
				case expiresIn != 0 && expiresAt != "":
					return usagef("give --expires-in or --expires-at, not both")
				case expiresIn < 0:
					return usagef("--expires-in must be positive, such as 720h")
				case expiresIn > 0:
					t := time.Now().Add(expiresIn).UTC().Truncate(time.Second)
					exp = &t
				case expiresAt != "":
					t, err := time.Parse(time.RFC3339, expiresAt)
					if err != nil {
						return usagef("--expires-at %q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", expiresAt)
					}
					exp = &t
				}
				w := api.APITokenWriteAttributes{Name: name, ExpiresAt: exp, Scopes: scopes}
				if errs := w.Validate(time.Now()); len(errs) > 0 {
					return validationError(errs)
				}
				userID, owner := "", ""
				if user != "" {
					u, err := resolveUser(ctx, c, user)
					if err != nil {
						return err
					}
					userID, owner = u.ID, u.Attributes.Username
				}
				t, err := c.Tokens.Create(ctx, name, exp, userID, scopes...)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				switch format {
				case "json":
					return writeJSON(out, api.Document[api.APIToken]{Data: *t})
				case "csv":
					if owner == "" {
						owner = newUserNames(c).name(ctx, tokenOwner(t))
					}
					return writeCSV(out, append(tokenHeaders, "TOKEN"), [][]string{append(tokenRow(t, owner), t.Attributes.Token)})
				}
				fmt.Fprintln(out, t.Attributes.Token)
				fmt.Fprintf(cmd.ErrOrStderr(), "Token %q (id %s) created. Store it now: it is shown only this once.\n", t.Attributes.Name, t.ID)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "what the token is for, such as terraform (required)")
	f.DurationVar(&expiresIn, "expires-in", 0, "lifetime, such as 720h; default never expires")
	f.StringVar(&expiresAt, "expires-at", "", "expiry time in RFC 3339, such as 2030-01-02T15:04:05Z")
	f.StringVar(&user, "user", "", "create the token for this user (id or username; admins only), such as a service account")
	f.StringSliceVar(&scopes, "scope", nil, "what the token reaches: admin (the whole REST API, the default) or scim (only /scim/v2, for Okta, Entra ID and other provisioning clients; the token's --name becomes the external-source of the users it provisions); repeat for both")
	return cmd
}

func newTokensListCommand(o *connOptions) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user USER]",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				var opts client.ListTokensOptions
				if user != "" {
					u, err := resolveUser(ctx, c, user)
					if err != nil {
						return err
					}
					opts.UserID = u.ID
				}
				tokens, err := c.Tokens.List(ctx, opts)
				if err != nil {
					return err
				}
				v := view{doc: api.Document[[]api.APIToken]{Data: tokens}, headers: tokenHeaders}
				owners := newUserNames(c)
				for i := range tokens {
					v.rows = append(v.rows, tokenRow(&tokens[i], owners.name(ctx, tokenOwner(&tokens[i]))))
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only tokens of this user (id or username)")
	return cmd
}

func newTokensRevokeCommand(o *connOptions) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "revoke TOKEN... [--user USER]",
		Short: "Revoke API tokens (by id or name); requests using them fail from then on",
		Long: `Revoke API tokens; requests using them fail from then on. A TOKEN is a
token's id or name. Names need not be unique: a name that more than one token
has is refused with the candidates; give the id, or --user to look only among
that user's tokens.`,
		Args: minArgs(1, "TOKEN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				userID := ""
				if user != "" {
					u, err := resolveUser(ctx, c, user)
					if err != nil {
						return err
					}
					userID = u.ID
				}
				owners := newUserNames(c)
				for _, ref := range args {
					t, err := resolveToken(ctx, c, ref, userID, owners)
					if err != nil {
						return err
					}
					if err := c.Tokens.Revoke(ctx, t.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Revoked token %s (%s)\n", t.Attributes.Name, t.ID)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "look for TOKEN names among this user's tokens only (id or username)")
	return cmd
}
