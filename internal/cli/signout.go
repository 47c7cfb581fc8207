package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

var sessionHeaders = []string{"ID", "CREATED", "LAST SEEN", "EXPIRES", "CLIENT IP", "USER AGENT"}

// newUsersSessionsCommand lists where a user is signed in, to check before
// and after "users sign-out".
func newUsersSessionsCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "sessions USER",
		Short: "List the browsers a user is signed in on (never the session secrets)",
		Args:  exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				sessions, err := c.Users.Sessions(ctx, u.ID)
				if err != nil {
					return err
				}
				v := view{doc: api.Document[[]api.Session]{Data: sessions}, headers: sessionHeaders}
				for _, se := range sessions {
					a := se.Attributes
					v.rows = append(v.rows, []string{se.ID, timeCell(&a.CreatedAt), timeCell(&a.LastSeenAt), timeCell(&a.ExpiresAt), a.ClientIP, a.UserAgent})
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
}

// newUsersSignOutCommand ends users' browser sessions from a script: the
// offboarding and lost-laptop case, without the admin console.
func newUsersSignOutCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "sign-out USER...",
		Short: "End every browser session of users (a lost laptop, offboarding); admins only",
		Long: `End every browser session of each USER (an id or username): their next page load
is the sign-in page. Their passkeys stay, so they can sign in again; disable the user as
well to stop that. API tokens are not sessions: revoke them with "rollcall tokens revoke".
Each sign-out is audited as session.revoke with the number of sessions ended.`,
		Args: minArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				for _, ref := range args {
					u, err := resolveUser(ctx, c, ref)
					if err != nil {
						return err
					}
					if err := c.Users.EndSessions(ctx, u.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Ended all sessions of %s.\n", u.Attributes.Username)
				}
				return nil
			})
		},
	}
}
