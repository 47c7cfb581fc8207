package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/spf13/cobra"

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
server's ROLLCALL_SETUP_LINK_TTL. With --email the server also emails it to the user's
address, which needs ROLLCALL_SMTP_URL set on the server.`,
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
