package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
	"github.com/rollcall/rollcall/internal/web"
)

func newUsersSetupLinkCommand(o *connOptions) *cobra.Command {
	var email bool
	cmd := &cobra.Command{
		Use:   "setup-link USER",
		Short: "Make a one-time link with which a user registers a passkey",
		Long: `Make a one-time setup link for USER (an id or username). Whoever opens it can
register a passkey for that user without signing in, so hand it over the way you would
a password: directly to the person. It works once and expires after 72 hours, or the
server's ROLLCALL_SETUP_LINK_TTL. A new link revokes the user's older ones, and
registering a passkey revokes the rest. With --email the server also emails it to the
user's address, which needs ROLLCALL_SMTP_URL set on the server.

"setup-link list USER" shows the outstanding link and "setup-link revoke USER" revokes it.`,
		Args: exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				link, err := c.Users.CreateSetupLink(ctx, u.ID, email)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if format == "json" {
					return writeJSON(out, link)
				}
				if format == "csv" {
					return writeCSV(out, []string{"username", "url", "expires_at", "email_sent"},
						[][]string{{u.Attributes.Username, link.Attributes.URL, link.Attributes.ExpiresAt.UTC().Format(time.RFC3339), yesNo(link.Attributes.EmailSent)}})
				}
				fmt.Fprintln(out, link.Attributes.URL)
				msg := fmt.Sprintf("Setup link for %s; it works once and expires %s.", u.Attributes.Username,
					link.Attributes.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"))
				if link.Attributes.EmailSent {
					msg += " It was emailed to " + u.Attributes.Email + "."
				}
				fmt.Fprintln(cmd.ErrOrStderr(), msg)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&email, "email", false, "also email the link to the user (needs SMTP configured on the server)")
	cmd.AddCommand(newSetupLinkListCommand(o), newSetupLinkRevokeCommand(o))
	return cmd
}

var setupLinkHeaders = []string{"ID", "CREATED", "EXPIRES", "FIRST ADMIN"}

// newSetupLinkListCommand shows a user's outstanding setup links: whether
// a link handed over earlier would still let someone in.
func newSetupLinkListCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list USER",
		Short: "List a user's outstanding setup links (never their URLs); admins only",
		Args:  exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				links, err := c.Users.SetupLinks(ctx, u.ID)
				if err != nil {
					return err
				}
				v := view{doc: api.Document[[]api.SetupLink]{Data: links}, headers: setupLinkHeaders}
				for _, l := range links {
					a := l.Attributes
					v.rows = append(v.rows, []string{l.ID, timeCell(&a.CreatedAt), timeCell(&a.ExpiresAt), yesNo(a.FirstAdmin)})
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
}

// newSetupLinkRevokeCommand revokes setup links: one handed to the wrong
// person, or all of a user's.
func newSetupLinkRevokeCommand(o *connOptions) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "revoke USER [LINK-ID...] [--all]",
		Short: "Revoke a user's setup links, by id or --all; admins only",
		Long: `Revoke setup links of USER (an id or username) so that they no longer work: the ones
named by LINK-ID (from "rollcall users setup-link list USER"), or with --all every
outstanding one. Each revocation is audited as setup_link.revoke.`,
		Args: minArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 1) {
				return usagef("name the links to revoke by id, or give --all, not both")
			}
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				if all {
					if err := c.Users.RevokeSetupLinks(ctx, u.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "Revoked every outstanding setup link of %s.\n", u.Attributes.Username)
					return nil
				}
				for _, id := range args[1:] {
					if err := c.Users.RevokeSetupLink(ctx, u.ID, id); err != nil {
						if client.IsNotFound(err) {
							return fmt.Errorf("%s has no outstanding setup link %s (used, expired, revoked, or never theirs; see rollcall users setup-link list %s): %w",
								u.Attributes.Username, id, u.Attributes.Username, err)
						}
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "Revoked setup link %s of %s.\n", id, u.Attributes.Username)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "revoke every outstanding setup link of the user")
	return cmd
}

// printFirstAdminLink tells the person starting a new installation how to
// get in: the setup link of the first admin.
func printFirstAdminLink(w io.Writer, l web.IssuedLink) {
	fmt.Fprintf(w, `
No administrator can sign in yet. Open this one-time link in a browser to create the
passkey of the admin user %q (it works once and expires %s):

    %s

Each start prints a new link while no admin has a passkey, and the one before stops
working; "rollcall admin setup-link admin" makes one without a restart.

`, "admin", l.Link.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), l.URL)
	if u, err := url.Parse(l.URL); err == nil && net.ParseIP(u.Hostname()) != nil {
		fmt.Fprintf(w, `Browsers allow passkeys only on a host name, not on the IP address %s: restart with
--url http://localhost:%s (or ROLLCALL_URL set to the server's name) and use the new link.

`, u.Hostname(), u.Port())
	}
}
