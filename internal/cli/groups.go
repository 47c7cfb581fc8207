package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

func newGroupsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "List, show, create, change and delete groups and their members",
		Long: `List, show, create, change and delete groups and their members.

A GROUP argument is a group's id or name; a USER argument is a user's id
or username.`,
	}
	o := addConnFlags(cmd)
	cmd.AddCommand(
		newGroupsListCommand(o),
		newGroupsGetCommand(o),
		newGroupsCreateCommand(o),
		newGroupsUpdateCommand(o),
		newGroupsDeleteCommand(o),
		newGroupsMembersCommand(o, "add-member", "Add users to a group, keeping its other members"),
		newGroupsMembersCommand(o, "remove-member", "Remove users from a group"),
		newGroupsMembersCommand(o, "set-members", "Make the given users the group's whole member set (none empties it)"),
	)
	return cmd
}

func newGroupsListCommand(o *connOptions) *cobra.Command {
	var opts client.ListGroupsOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List groups, ordered by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				groups, err := c.Groups.List(ctx, opts)
				if err != nil {
					return err
				}
				v := view{doc: api.Document[[]api.Group]{Data: groups}, headers: []string{"ID", "NAME", "FRIENDLY NAME", "MEMBERS", "DESCRIPTION"}}
				for _, g := range groups {
					a := g.Attributes
					v.rows = append(v.rows, []string{g.ID, a.Name, str(a.FriendlyName), fmt.Sprint(a.MemberCount), str(a.Description)})
				}
				return v.write(cmd.OutOrStdout(), format)
			})
		},
	}
	cmd.Flags().StringVarP(&opts.Query, "query", "q", "", "only groups whose name or friendly name starts with this")
	return cmd
}

func newGroupsGetCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get GROUP",
		Short: "Show one group with its members",
		Args:  exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				g, err := resolveGroup(ctx, c, args[0])
				if err != nil {
					return err
				}
				return showGroup(ctx, cmd, c, g, format)
			})
		},
	}
}

func showGroup(ctx context.Context, cmd *cobra.Command, c *client.Client, g *api.Group, format string) error {
	members, err := c.Groups.Members(ctx, g.ID)
	if err != nil {
		return err
	}
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Attributes.Username
	}
	slices.Sort(names)
	a := g.Attributes
	var attrs []string
	for _, k := range slices.Sorted(maps.Keys(a.Attributes)) {
		attrs = append(attrs, k+"="+a.Attributes[k])
	}
	v := view{
		doc:     api.Document[api.Group]{Data: *g},
		detail:  true,
		headers: []string{"ID", "Name", "Friendly name", "Description", "Attributes", "Custom claims", "Members", "Created", "Updated"},
		rows: [][]string{{g.ID, a.Name, str(a.FriendlyName), str(a.Description), strings.Join(attrs, ", "),
			customClaimsCell(a.CustomClaims), strings.Join(names, ", "), timeCell(&a.CreatedAt), timeCell(&a.UpdatedAt)}},
	}
	return v.write(cmd.OutOrStdout(), format)
}

// customClaimsCell shows custom claims as compact JSON with sorted keys,
// or nothing when there are none.
func customClaimsCell(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

// groupFlags are the attribute flags of groups create and update.
type groupFlags struct {
	name, friendlyName, description string
	attributes                      []string
	customClaims                    string
}

func addGroupFlags(cmd *cobra.Command, withName bool) *groupFlags {
	gf := &groupFlags{}
	f := cmd.Flags()
	if withName {
		f.StringVar(&gf.name, "name", "", "new name of the group (renames it; memberships stay)")
	}
	f.StringVar(&gf.friendlyName, "friendly-name", "", "name shown to people, such as \"Platform team\"")
	f.StringVar(&gf.description, "description", "", "what the group is for")
	f.StringArrayVar(&gf.attributes, "attribute", nil, "free-form attribute key=value (repeatable); key= removes the key on update")
	f.StringVar(&gf.customClaims, "custom-claims", "", `claims merged into members' ID tokens, a JSON object such as '{"role":"admin"}'; "" removes them all`)
	return gf
}

func (gf *groupFlags) attrs(cmd *cobra.Command, current map[string]string) (api.GroupWriteAttributes, error) {
	var w api.GroupWriteAttributes
	set := func(flag, v string, dst *api.Opt[string]) {
		if cmd.Flags().Changed(flag) {
			if v == "" {
				*dst = api.Null[string]()
			} else {
				*dst = api.Some(v)
			}
		}
	}
	set("name", gf.name, &w.Name)
	set("friendly-name", gf.friendlyName, &w.FriendlyName)
	set("description", gf.description, &w.Description)
	if cmd.Flags().Changed("custom-claims") {
		switch v := strings.TrimSpace(gf.customClaims); {
		case v == "":
			w.CustomClaims = api.Null[json.RawMessage]()
		case !json.Valid([]byte(v)) || v[0] != '{':
			return w, usagef(`--custom-claims %q must be a JSON object such as '{"role":"admin"}'`, gf.customClaims)
		default:
			w.CustomClaims = api.Some(json.RawMessage(v))
		}
	}
	if len(gf.attributes) > 0 {
		m := maps.Clone(current)
		if m == nil {
			m = map[string]string{}
		}
		for _, kv := range gf.attributes {
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

func newGroupsCreateCommand(o *connOptions) *cobra.Command {
	var gf *groupFlags
	var members []string
	cmd := &cobra.Command{
		Use:     "create NAME [flags]",
		Short:   "Create a group",
		Example: "  rollcall groups create platform --friendly-name \"Platform team\" --members jane,joe",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				attrs, err := gf.attrs(cmd, nil)
				if err != nil {
					return err
				}
				attrs.Name = api.Some(args[0])
				if errs := attrs.Normalize(true); len(errs) > 0 {
					return validationError(errs)
				}
				var ids *[]string
				if cmd.Flags().Changed("members") {
					m, err := resolveUserIDs(ctx, c, nonEmpty(members))
					if err != nil {
						return err
					}
					ids = &m
				}
				g, err := c.Groups.Create(ctx, attrs, ids, "")
				if err != nil {
					return err
				}
				return showGroup(ctx, cmd, c, g, format)
			})
		},
	}
	gf = addGroupFlags(cmd, false)
	cmd.Flags().StringSliceVar(&members, "members", nil, "comma-separated usernames or ids of the first members")
	return cmd
}

func newGroupsUpdateCommand(o *connOptions) *cobra.Command {
	var gf *groupFlags
	cmd := &cobra.Command{
		Use:     "update GROUP [flags]",
		Short:   "Change the attributes given as flags (--name renames)",
		Example: "  rollcall groups update platform --description \"Runs the platform\"",
		Args:    exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, func(ctx context.Context, c *client.Client, format string) error {
				changed := false
				for _, n := range []string{"name", "friendly-name", "description", "attribute", "custom-claims"} {
					changed = changed || cmd.Flags().Changed(n)
				}
				if !changed {
					return usagef("nothing to change: give at least one of --name, --friendly-name, --description, --attribute, --custom-claims")
				}
				g, err := resolveGroup(ctx, c, args[0])
				if err != nil {
					return err
				}
				attrs, err := gf.attrs(cmd, g.Attributes.Attributes)
				if err != nil {
					return err
				}
				if errs := attrs.Normalize(false); len(errs) > 0 {
					return validationError(errs)
				}
				g, err = c.Groups.Update(ctx, g.ID, attrs, nil, "")
				if err != nil {
					return err
				}
				return showGroup(ctx, cmd, c, g, format)
			})
		},
	}
	gf = addGroupFlags(cmd, true)
	return cmd
}

func newGroupsDeleteCommand(o *connOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete groups and their memberships; the users stay",
		Args:  minArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				for _, ref := range args {
					g, err := resolveGroup(ctx, c, ref)
					if err != nil {
						return err
					}
					if err := c.Groups.Delete(ctx, g.ID); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted group %s (%s)\n", g.Attributes.Name, g.ID)
				}
				return nil
			})
		},
	}
}

func newGroupsMembersCommand(o *connOptions, name, short string) *cobra.Command {
	args := minArgs(2, "GROUP and USER")
	if name == "set-members" {
		args = minArgs(1, "GROUP")
	}
	return &cobra.Command{
		Use:   name + " GROUP USER...",
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runMessages(cmd, func(ctx context.Context, c *client.Client) error {
				g, err := resolveGroup(ctx, c, args[0])
				if err != nil {
					return err
				}
				ids, err := resolveUserIDs(ctx, c, args[1:])
				if err != nil {
					return err
				}
				switch name {
				case "add-member":
					err = c.Groups.AddMembers(ctx, g.ID, ids)
				case "remove-member":
					err = c.Groups.RemoveMembers(ctx, g.ID, ids)
				default:
					err = c.Groups.SetMembers(ctx, g.ID, ids)
				}
				if err != nil {
					return err
				}
				g, err = c.Groups.Get(ctx, g.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Group %s has %d member(s)\n", g.Attributes.Name, len(g.MemberIDs()))
				return nil
			})
		},
	}
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
