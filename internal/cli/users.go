package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newUsersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "List, show, create, change and delete users",
		Long: `List, show, create, change and delete users.

A USER argument is a user's id or username. Attribute flags are the
kebab-case of the user model (--first-name, --avatar-url, --external-id);
on update only the flags you give are changed, and an empty value
(--title "") clears an optional attribute.`,
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(
		newUsersListCommand(o),
		newUsersGetCommand(o),
		newUsersCreateCommand(o),
		newUsersUpdateCommand(o),
		newUsersDeleteCommand(o),
		newUsersRenameCommand(o),
		newUsersDisableCommand(o, true),
		newUsersDisableCommand(o, false),
		newUsersSetupLinkCommand(o),
		newUsersSessionsCommand(o),
		newUsersSignOutCommand(o),
	)
	return cmd
}

func newUsersListCommand(o *connOptions) *cobra.Command {
	var opts client.ListUsersOptions
	var group string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users, ordered by username (-o csv writes the import format)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				if group != "" {
					g, err := resolveGroup(ctx, c, group)
					if err != nil {
						return err
					}
					opts.Group = g.ID
				}
				// The pages carry the listed users' groups (include=groups),
				// so naming them needs no list of every group.
				users, groups, err := c.Users.ListWithGroups(ctx, opts)
				if err != nil {
					return err
				}
				return usersView(users, indexGroups(groups), format).write(cmd.OutOrStdout(), format)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Username, "username", "", "only the user with this username")
	f.StringVar(&opts.Email, "email", "", "only the user with this email (any case)")
	f.StringVar(&opts.ExternalID, "external-id", "", "only users with this external id")
	f.StringVar(&group, "group", "", "only members of this group (name or id)")
	f.StringVarP(&opts.Query, "query", "q", "", "only users whose username, email, first or last name starts with this")
	return cmd
}

func usersView(users []api.User, ix *groupIndex, format string) view {
	if format == "csv" {
		rows := make([][]string, len(users))
		for i := range users {
			rows[i] = userRecord(&users[i], ix)
		}
		return view{headers: userColumns, rows: rows}
	}
	v := view{
		doc:     api.Document[[]api.User]{Data: users},
		headers: []string{"ID", "USERNAME", "EMAIL", "DISPLAY NAME", "STATUS", "ADMIN", "GROUPS"},
	}
	for _, u := range users {
		a := u.Attributes
		v.rows = append(v.rows, []string{u.ID, a.Username, a.Email, a.DisplayName, a.Status, yesNo(a.IsAdmin), strings.Join(ix.names(u.GroupIDs()), ",")})
	}
	return v
}

func userDetailView(u *api.User, ix *groupIndex, format string) view {
	if format == "csv" {
		return view{headers: userColumns, rows: [][]string{userRecord(u, ix)}}
	}
	a := u.Attributes
	var attrs []string
	for _, k := range slices.Sorted(maps.Keys(a.Attributes)) {
		attrs = append(attrs, k+"="+a.Attributes[k])
	}
	return view{
		doc:    api.Document[api.User]{Data: *u},
		detail: true,
		headers: []string{"ID", "Username", "Email", "Email verified", "First name", "Last name", "Display name",
			"Locale", "Admin", "Disabled", "Status", "Phone", "Mobile", "Title", "Department", "Avatar URL",
			"External ID", "External source", "Attributes", "Groups", "Passkeys", "Last sign-in", "Created", "Updated"},
		rows: [][]string{{u.ID, a.Username, a.Email, yesNo(a.EmailVerified), str(a.FirstName), str(a.LastName), a.DisplayName,
			str(a.Locale), yesNo(a.IsAdmin), yesNo(a.Disabled), a.Status, str(a.Phone), str(a.Mobile), str(a.Title), str(a.Department), str(a.AvatarURL),
			str(a.ExternalID), str(a.ExternalSource), strings.Join(attrs, ", "), strings.Join(ix.names(u.GroupIDs()), ", "),
			fmt.Sprint(a.PasskeyCount), timeCell(a.LastSignInAt), timeCell(&a.CreatedAt), timeCell(&a.UpdatedAt)}},
	}
}

func newUsersGetCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get USER",
		Short: "Show one user by id or username",
		Args:  exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				u, ix, err := resolveUserWithGroups(ctx, c, args[0])
				if err != nil {
					return err
				}
				return showUser(ctx, cmd, c, u, ix, format)
			})
		},
	}
}

// showUser prints u with the names of its groups. ix names them when the
// command has already read them (nil if not); otherwise they come from
// reading the user with include=groups, one request rather than a list of
// every group, and none at all for a user in no group.
func showUser(ctx context.Context, cmd *cobra.Command, c *client.Client, u *api.User, ix *groupIndex, format string) error {
	if ix == nil {
		ix = indexGroups(nil)
	}
	if !ix.knows(u.GroupIDs()) {
		_, groups, err := c.Users.GetWithGroups(ctx, u.ID)
		if err != nil {
			return err
		}
		ix = indexGroups(groups)
	}
	return userDetailView(u, ix, format).write(cmd.OutOrStdout(), format)
}

// userFlags are the attribute flags of users create and update.
type userFlags struct {
	strs       map[string]*string
	bools      map[string]*bool
	attributes []string
	groups     []string
}

// userStringFlags maps flag names to the attribute they set.
var userStringFlags = []string{"username", "email", "first-name", "last-name", "display-name", "locale",
	"phone", "mobile", "title", "department", "avatar-url", "external-id", "external-source"}

var userBoolFlags = []string{"email-verified", "is-admin", "disabled"}

func addUserFlags(cmd *cobra.Command) *userFlags {
	uf := &userFlags{strs: map[string]*string{}, bools: map[string]*bool{}}
	f := cmd.Flags()
	for _, name := range userStringFlags {
		uf.strs[name] = f.String(name, "", strings.ReplaceAll(name, "-", " "))
	}
	for _, name := range userBoolFlags {
		uf.bools[name] = f.Bool(name, false, strings.ReplaceAll(name, "-", " "))
	}
	f.StringArrayVar(&uf.attributes, "attribute", nil, "free-form attribute key=value (repeatable); key= removes the key on update")
	f.StringSliceVar(&uf.groups, "groups", nil, "comma-separated group names or ids; on update replaces all the user's groups (--groups \"\" removes them all)")
	return uf
}

// attrs builds the write attributes from the flags that were given.
func (uf *userFlags) attrs(cmd *cobra.Command, current map[string]string) (api.UserWriteAttributes, error) {
	var w api.UserWriteAttributes
	set := func(name string, dst *api.Opt[string]) {
		if cmd.Flags().Changed(name) {
			if v := *uf.strs[name]; v == "" {
				*dst = api.Null[string]()
			} else {
				*dst = api.Some(v)
			}
		}
	}
	set("username", &w.Username)
	set("email", &w.Email)
	set("first-name", &w.FirstName)
	set("last-name", &w.LastName)
	set("display-name", &w.DisplayName)
	set("locale", &w.Locale)
	set("phone", &w.Phone)
	set("mobile", &w.Mobile)
	set("title", &w.Title)
	set("department", &w.Department)
	set("avatar-url", &w.AvatarURL)
	set("external-id", &w.ExternalID)
	set("external-source", &w.ExternalSource)
	setBool := func(name string, dst *api.Opt[bool]) {
		if cmd.Flags().Changed(name) {
			*dst = api.Some(*uf.bools[name])
		}
	}
	setBool("email-verified", &w.EmailVerified)
	setBool("is-admin", &w.IsAdmin)
	setBool("disabled", &w.Disabled)
	if len(uf.attributes) > 0 {
		m := maps.Clone(current)
		if m == nil {
			m = map[string]string{}
		}
		for _, kv := range uf.attributes {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return w, usagef("--attribute %q must be key=value", kv)
			}
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		w.Attributes = api.Some(m)
	}
	return w, nil
}

// anyChanged reports whether any attribute flag was given.
func (uf *userFlags) anyChanged(cmd *cobra.Command) bool {
	for _, n := range append(append([]string{"attribute", "groups"}, userStringFlags...), userBoolFlags...) {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// groupIDs resolves --groups when it was given, and returns the index of
// every group it read, which names the user's new groups for showUser.
func (uf *userFlags) groupIDs(ctx context.Context, cmd *cobra.Command, c *client.Client) (*[]string, *groupIndex, error) {
	if !cmd.Flags().Changed("groups") {
		return nil, nil, nil
	}
	ix, err := loadGroups(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	var refs []string
	for _, g := range uf.groups {
		if g = strings.TrimSpace(g); g != "" {
			refs = append(refs, g)
		}
	}
	ids, err := ix.ids(refs)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return &ids, ix, nil
}

// validationError turns local validation problems into a usage error in
// the server's words, with flag names instead of JSON pointers.
func validationError(errs api.Errors) error {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = fmt.Sprintf("%s: %s", e.Code, e.Detail)
		if e.Source != nil {
			if attr, ok := strings.CutPrefix(e.Source.Pointer, "/data/attributes/"); ok {
				parts[i] = fmt.Sprintf("%s at --%s: %s", e.Code, strings.SplitN(attr, "/", 2)[0], e.Detail)
			}
		}
	}
	return usagef("%s", strings.Join(parts, "; "))
}

func newUsersCreateCommand(o *connOptions) *cobra.Command {
	var id string
	var uf *userFlags
	cmd := &cobra.Command{
		Use:     "create USERNAME --email EMAIL [flags]",
		Short:   "Create a user",
		Example: "  rollcall users create jane --email jane@example.com --first-name Jane --last-name Doe --groups staff,admins",
		Args:    maxArgs(1, "USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				if len(args) == 1 {
					if cmd.Flags().Changed("username") {
						return usagef("give the username once, as the argument or as --username")
					}
					*uf.strs["username"] = args[0]
					cmd.Flags().Lookup("username").Changed = true
				}
				attrs, err := uf.attrs(cmd, nil)
				if err != nil {
					return err
				}
				if errs := attrs.Normalize(true); len(errs) > 0 {
					return validationError(errs)
				}
				groups, ix, err := uf.groupIDs(ctx, cmd, c)
				if err != nil {
					return err
				}
				u, err := c.Users.Create(ctx, attrs, groups, id)
				if err != nil {
					return err
				}
				return showUser(ctx, cmd, c, u, ix, format)
			})
		},
	}
	uf = addUserFlags(cmd)
	cmd.Flags().StringVar(&id, "id", "", "propose the new user's id (a UUID), such as when moving users between servers")
	return cmd
}

func newUsersUpdateCommand(o *connOptions) *cobra.Command {
	var uf *userFlags
	cmd := &cobra.Command{
		Use:     "update USER [flags]",
		Short:   "Change the attributes given as flags, leaving the others as they are",
		Example: "  rollcall users update jane --title CTO --department \"\" --attribute cost_center=42",
		Args:    exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				if !uf.anyChanged(cmd) {
					return usagef("nothing to change: give at least one attribute flag, such as --title")
				}
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				attrs, err := uf.attrs(cmd, u.Attributes.Attributes)
				if err != nil {
					return err
				}
				if errs := attrs.Normalize(false); len(errs) > 0 {
					return validationError(errs)
				}
				groups, ix, err := uf.groupIDs(ctx, cmd, c)
				if err != nil {
					return err
				}
				u, err = c.Users.Update(ctx, u.ID, attrs, groups, "")
				if err != nil {
					return err
				}
				return showUser(ctx, cmd, c, u, ix, format)
			})
		},
	}
	uf = addUserFlags(cmd)
	return cmd
}

func newUsersDeleteCommand(o *connOptions) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete USER... [--yes]",
		Short: "Delete users with their passkeys, sessions, tokens and memberships (the audit log keeps them)",
		Long: `Delete users with their passkeys, sessions, tokens and memberships; the audit
log keeps what happened. On a terminal, each username must be typed to
confirm; scripts pass --yes (without it, a command whose standard input is
not a terminal refuses, exit 2).`,
		Args: minArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				confirm := newConfirmer(cmd)
				for _, ref := range args {
					u, err := resolveUser(ctx, c, ref)
					if err != nil {
						return err
					}
					if !yes {
						name := u.Attributes.Username
						if err := confirm.typed(name, fmt.Sprintf("Delete user %s (%s) with its passkeys, sessions, tokens and memberships?", name, u.ID)); err != nil {
							return err
						}
					}
					if err := c.Users.Delete(ctx, u.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted user %s (%s)\n", u.Attributes.Username, u.ID)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (for scripts)")
	return cmd
}

func newUsersRenameCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rename USER NEW-USERNAME",
		Short: "Change a user's username; its id, passkeys and groups stay",
		Args:  exactArgs(2, "USER NEW-USERNAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				attrs := api.UserWriteAttributes{Username: api.Some(args[1])}
				if errs := attrs.Normalize(false); len(errs) > 0 {
					return validationError(errs)
				}
				u, err := resolveUser(ctx, c, args[0])
				if err != nil {
					return err
				}
				u, err = c.Users.Update(ctx, u.ID, attrs, nil, "")
				if err != nil {
					return err
				}
				return showUser(ctx, cmd, c, u, nil, format)
			})
		},
	}
}

func newUsersDisableCommand(o *connOptions, disable bool) *cobra.Command {
	use, short := "enable USER...", "Let users sign in again"
	if disable {
		use, short = "disable USER...", "Stop users from signing in, keeping all their data"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  minArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				for _, ref := range args {
					u, err := resolveUser(ctx, c, ref)
					if err != nil {
						return err
					}
					u, err = c.Users.Update(ctx, u.ID, api.UserWriteAttributes{Disabled: api.Some(disable)}, nil, "")
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "User %s is %s\n", u.Attributes.Username, u.Attributes.Status)
				}
				return nil
			})
		},
	}
}

// exactArgs is cobra.ExactArgs with a usage error that names the
// arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (%d argument(s)), got %d; see %s --help", cmd.CommandPath(), names, n, len(args), cmd.CommandPath())
		}
		return nil
	}
}

func minArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s takes at least one %s; see %s --help", cmd.CommandPath(), names, cmd.CommandPath())
		}
		return nil
	}
}

func maxArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes at most %d argument(s) (%s), got %d; see %s --help", cmd.CommandPath(), n, names, len(args), cmd.CommandPath())
		}
		return nil
	}
}
