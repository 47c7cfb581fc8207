package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newClientsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Register and manage the applications that sign people in with Rollcall (OpenID Connect)",
		Long: `Register and manage the applications that sign people in with Rollcall
(OpenID Connect clients). Admins only.

A CLIENT argument is a client's id (its client_id) or its name. A
confidential client's secret is printed once, when it is made; Rollcall
keeps only its hash.`,
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(
		newClientsListCommand(o),
		newClientsGetCommand(o),
		newClientsCreateCommand(o),
		newClientsUpdateCommand(o),
		newClientsDeleteCommand(o),
		newClientsRotateSecretCommand(o),
		newClientsDeleteSecretCommand(o),
	)
	return cmd
}

// resolveClient finds a client by id or name.
func resolveClient(ctx context.Context, c *client.Client, s string) (*api.OIDCClient, error) {
	return byIDOrName(s, "name", "OIDC client",
		func(id string) (*api.OIDCClient, error) { return c.OIDCClients.Get(ctx, id) },
		func(name string) (*api.OIDCClient, error) {
			list, err := c.OIDCClients.List(ctx)
			if err != nil {
				return nil, err
			}
			for _, cl := range list {
				if cl.Attributes.Name == name {
					return &cl, nil
				}
			}
			return nil, client.ErrNotFound
		})
}

func claimsCell(m map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, ", ")
}

func lifetimeCell(secs int64) string {
	if secs == 0 {
		return "default"
	}
	return (time.Duration(secs) * time.Second).String()
}

// showClient prints one client; a secret, when the answer holds one, is
// printed after it with a warning that it is not shown again.
func showClient(ctx context.Context, cmd *cobra.Command, c *client.Client, cl *api.OIDCClient, format string) error {
	a := cl.Attributes
	groups := make([]string, 0, len(a.AllowedGroups))
	for _, id := range a.AllowedGroups {
		if g, err := c.Groups.Get(ctx, id); err == nil {
			groups = append(groups, g.Attributes.Name)
		} else {
			groups = append(groups, id)
		}
	}
	allowed := strings.Join(groups, ", ")
	if allowed == "" {
		allowed = "everyone"
	}
	kind := "confidential"
	if a.Public {
		kind = "public"
	}
	secrets := make([]string, len(a.Secrets))
	for i, s := range a.Secrets {
		secrets[i] = s.ID + " (" + s.CreatedAt.UTC().Format("2006-01-02") + ")"
	}
	v := view{
		doc:    api.Document[api.OIDCClient]{Data: *cl},
		detail: true,
		headers: []string{"Client ID", "Name", "Type", "Redirect URIs", "Post-logout redirect URIs", "Grant types", "Allowed groups",
			"Skip consent", "Access token lifetime", "ID token lifetime", "Refresh token lifetime", "Logo URL", "Launch URL",
			"Back-channel logout URI", "Access token format", "Attribute claims", "Secrets", "Created", "Updated"},
		rows: [][]string{{cl.ID, a.Name, kind, strings.Join(a.RedirectURIs, " "), strings.Join(a.PostLogoutRedirectURIs, " "),
			strings.Join(a.GrantTypes, " "), allowed, yesNo(a.SkipConsent), lifetimeCell(a.AccessTokenLifetime),
			lifetimeCell(a.IDTokenLifetime), lifetimeCell(a.RefreshTokenLifetime), str(a.LogoURL), str(a.LaunchURL), str(a.BackchannelLogoutURI), a.AccessTokenFormat, claimsCell(a.AttributeClaims),
			strings.Join(secrets, ", "), timeCell(&a.CreatedAt), timeCell(&a.UpdatedAt)}},
	}
	if a.ClientSecret != "" && format == "csv" {
		// CSV stays one record: the secret is a column, as tokens create's TOKEN.
		v.headers = append(v.headers, "Client secret")
		v.rows[0] = append(v.rows[0], a.ClientSecret)
	}
	if err := v.write(cmd.OutOrStdout(), format); err != nil {
		return err
	}
	if a.ClientSecret != "" && format == "table" {
		fmt.Fprintf(cmd.OutOrStdout(), "\nClient secret (shown only now; Rollcall keeps its hash): %s\n", a.ClientSecret)
	}
	return nil
}

func newClientsListCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List applications, by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				list, err := c.OIDCClients.List(ctx)
				if err != nil {
					return err
				}
				v := view{doc: api.Document[[]api.OIDCClient]{Data: list}, headers: []string{"CLIENT ID", "NAME", "TYPE", "REDIRECT URIS", "SKIP CONSENT"}}
				for _, cl := range list {
					a := cl.Attributes
					kind := "confidential"
					if a.Public {
						kind = "public"
					}
					v.rows = append(v.rows, []string{cl.ID, a.Name, kind, strings.Join(a.RedirectURIs, " "), yesNo(a.SkipConsent)})
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
}

func newClientsGetCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get CLIENT",
		Short: "Show one application",
		Args:  exactArgs(1, "CLIENT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				cl, err := resolveClient(ctx, c, args[0])
				if err != nil {
					return err
				}
				return showClient(ctx, cmd, c, cl, format)
			})
		},
	}
}

// clientFlags are the attribute flags of clients create and update.
type clientFlags struct {
	name, logoURL, launchURL, backchannelURI string
	accessTokenFormat                        string
	redirectURIs, postLogoutURIs, grantTypes []string
	allowedGroups, attributeClaims           []string
	public, skipConsent                      bool
	accessTTL, idTTL, refreshTTL             time.Duration
}

func addClientFlags(cmd *cobra.Command, withName bool) *clientFlags {
	cf := &clientFlags{}
	f := cmd.Flags()
	if withName {
		f.StringVar(&cf.name, "name", "", "new name of the application")
	}
	f.StringSliceVar(&cf.redirectURIs, "redirect-uri", nil, "where people return after signing in, matched exactly (repeatable or comma-separated)")
	f.StringSliceVar(&cf.postLogoutURIs, "post-logout-redirect-uri", nil, "where people may go after signing out (repeatable)")
	f.StringSliceVar(&cf.grantTypes, "grant-types", nil, "authorization_code and refresh_token (the default), urn:ietf:params:oauth:grant-type:device_code (the device grant, for CLIs and TVs), client_credentials (machine clients)")
	f.StringSliceVar(&cf.allowedGroups, "allowed-groups", nil, "names or ids of the groups whose members may sign in (default everyone)")
	f.BoolVar(&cf.public, "public", false, "a public client: no secret, PKCE required (single-page and native apps)")
	f.BoolVar(&cf.skipConsent, "skip-consent", false, "never ask people to agree (your organisation's own applications)")
	f.DurationVar(&cf.accessTTL, "access-token-lifetime", 0, "such as 10m; 0 is the default (1h)")
	f.DurationVar(&cf.idTTL, "id-token-lifetime", 0, "such as 10m; 0 is the default (1h)")
	f.DurationVar(&cf.refreshTTL, "refresh-token-lifetime", 0, "such as 720h; 0 is the default (30 days)")
	f.StringVar(&cf.logoURL, "logo-url", "", "logo shown on the consent page")
	f.StringVar(&cf.launchURL, "launch-url", "", "where people open the application")
	f.StringArrayVar(&cf.attributeClaims, "attribute-claim", nil, "claim=attribute: tokens carry the person's attribute under that claim name (repeatable; the whole set is replaced)")
	f.StringVar(&cf.accessTokenFormat, "access-token-format", "", "opaque (the default; revoked at once) or jwt (signed, for APIs that verify tokens themselves)")
	f.StringVar(&cf.backchannelURI, "backchannel-logout-uri", "", "where Rollcall POSTs a signed logout token when a session the application signed someone in from ends")
	return cf
}

var clientFlagNames = []string{"name", "redirect-uri", "post-logout-redirect-uri", "grant-types", "allowed-groups", "public",
	"skip-consent", "access-token-lifetime", "id-token-lifetime", "refresh-token-lifetime", "logo-url", "launch-url", "backchannel-logout-uri", "access-token-format", "attribute-claim"}

func (cf *clientFlags) attrs(ctx context.Context, cmd *cobra.Command, c *client.Client) (api.OIDCClientWriteAttributes, error) {
	var w api.OIDCClientWriteAttributes
	changed := cmd.Flags().Changed
	if changed("name") {
		w.Name = api.Some(cf.name)
	}
	if changed("redirect-uri") {
		w.RedirectURIs = api.Some(nonEmpty(cf.redirectURIs))
	}
	if changed("post-logout-redirect-uri") {
		w.PostLogoutRedirectURIs = api.Some(nonEmpty(cf.postLogoutURIs))
	}
	if changed("grant-types") {
		w.GrantTypes = api.Some(nonEmpty(cf.grantTypes))
	}
	if changed("allowed-groups") {
		ids := []string{}
		for _, ref := range nonEmpty(cf.allowedGroups) {
			g, err := resolveGroup(ctx, c, ref)
			if err != nil {
				return w, err
			}
			ids = append(ids, g.ID)
		}
		w.AllowedGroups = api.Some(ids)
	}
	if changed("public") {
		w.Public = api.Some(cf.public)
	}
	if changed("skip-consent") {
		w.SkipConsent = api.Some(cf.skipConsent)
	}
	for _, l := range []struct {
		flag string
		d    time.Duration
		dst  *api.Opt[int64]
	}{{"access-token-lifetime", cf.accessTTL, &w.AccessTokenLifetime}, {"id-token-lifetime", cf.idTTL, &w.IDTokenLifetime},
		{"refresh-token-lifetime", cf.refreshTTL, &w.RefreshTokenLifetime}} {
		if changed(l.flag) {
			if l.d%time.Second != 0 || l.d < 0 {
				return w, usagef("--%s %s must be whole seconds, such as 10m or 3600s", l.flag, l.d)
			}
			*l.dst = api.Some(int64(l.d / time.Second))
		}
	}
	if changed("logo-url") {
		w.LogoURL = api.Some(cf.logoURL)
	}
	if changed("launch-url") {
		w.LaunchURL = api.Some(cf.launchURL)
	}
	if changed("attribute-claim") {
		m := map[string]string{}
		for _, kv := range cf.attributeClaims {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return w, usagef("--attribute-claim %q must be claim=attribute, such as employee_number=employee_id", kv)
			}
			m[k] = v
		}
		w.AttributeClaims = api.Some(m)
	}
	if changed("access-token-format") {
		w.AccessTokenFormat = api.Some(cf.accessTokenFormat)
	}
	if changed("backchannel-logout-uri") {
		w.BackchannelLogoutURI = api.Some(cf.backchannelURI)
	}
	return w, nil
}

func newClientsCreateCommand(o *connOptions) *cobra.Command {
	var cf *clientFlags
	cmd := &cobra.Command{
		Use:     "create NAME --redirect-uri URI [flags]",
		Short:   "Register an application; a confidential one's secret is printed once",
		Example: "  rollcall clients create Grafana --redirect-uri https://grafana.example.com/login/generic_oauth --allowed-groups staff",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				attrs, err := cf.attrs(ctx, cmd, c)
				if err != nil {
					return err
				}
				attrs.Name = api.Some(args[0])
				if errs := attrs.Validate(true); len(errs) > 0 {
					return validationError(errs)
				}
				cl, err := c.OIDCClients.Create(ctx, attrs)
				if err != nil {
					return err
				}
				return showClient(ctx, cmd, c, cl, format)
			})
		},
	}
	cf = addClientFlags(cmd, false)
	return cmd
}

func newClientsUpdateCommand(o *connOptions) *cobra.Command {
	var cf *clientFlags
	cmd := &cobra.Command{
		Use:     "update CLIENT [flags]",
		Short:   "Change the attributes given as flags; list flags replace the whole list",
		Example: "  rollcall clients update Grafana --skip-consent",
		Args:    exactArgs(1, "CLIENT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				changed := false
				for _, n := range clientFlagNames {
					changed = changed || cmd.Flags().Changed(n)
				}
				if !changed {
					return usagef("nothing to change: give at least one of --%s", strings.Join(clientFlagNames, ", --"))
				}
				cl, err := resolveClient(ctx, c, args[0])
				if err != nil {
					return err
				}
				attrs, err := cf.attrs(ctx, cmd, c)
				if err != nil {
					return err
				}
				if errs := attrs.Validate(false); len(errs) > 0 {
					return validationError(errs)
				}
				cl, err = c.OIDCClients.Update(ctx, cl.ID, attrs, "")
				if err != nil {
					return err
				}
				return showClient(ctx, cmd, c, cl, format)
			})
		},
	}
	cf = addClientFlags(cmd, true)
	return cmd
}

func newClientsDeleteCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT...",
		Short: "Delete applications; their tokens stop working at once",
		Args:  minArgs(1, "CLIENT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				for _, ref := range args {
					cl, err := resolveClient(ctx, c, ref)
					if err != nil {
						return err
					}
					if err := c.OIDCClients.Delete(ctx, cl.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted client %s (%s)\n", cl.Attributes.Name, cl.ID)
				}
				return nil
			})
		},
	}
}

func newClientsRotateSecretCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-secret CLIENT",
		Short: "Add a new secret beside the current one and print it once; then delete the old one with delete-secret",
		Long: `Add a new secret beside the current one and print it once. Both work until
the old one is deleted, so the application can switch without downtime:

  rollcall clients rotate-secret Grafana       # give the new secret to the application
  rollcall clients delete-secret Grafana OLD   # OLD is the older id under Secrets`,
		Args: exactArgs(1, "CLIENT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				cl, err := resolveClient(ctx, c, args[0])
				if err != nil {
					return err
				}
				cl, err = c.OIDCClients.RotateSecret(ctx, cl.ID)
				if err != nil {
					return err
				}
				return showClient(ctx, cmd, c, cl, format)
			})
		},
	}
}

func newClientsDeleteSecretCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete-secret CLIENT SECRET-ID",
		Short: "Delete one of an application's secrets (by the id listed under Secrets); it stops working at once",
		Args:  exactArgs(2, "CLIENT and SECRET-ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				cl, err := resolveClient(ctx, c, args[0])
				if err != nil {
					return err
				}
				if err := c.OIDCClients.DeleteSecret(ctx, cl.ID, args[1]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted secret %s of client %s\n", args[1], cl.Attributes.Name)
				return nil
			})
		},
	}
}
