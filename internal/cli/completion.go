package cli

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// What an argument or flag value names, for shell completion.
const (
	compUser  = "user"
	compGroup = "group"
	compToken = "token"
)

// argCompletion says what each positional argument of a command names;
// the last kind repeats when the command takes more (USER...).
var argCompletion = map[string][]string{
	"users get": {compUser}, "users update": {compUser}, "users rename": {compUser},
	"users delete": {compUser}, "users disable": {compUser}, "users enable": {compUser},
	"users sessions": {compUser}, "users sign-out": {compUser}, "users setup-link": {compUser},
	"groups get": {compGroup}, "groups update": {compGroup}, "groups delete": {compGroup},
	"groups add-member": {compGroup, compUser}, "groups remove-member": {compGroup, compUser},
	"groups set-members": {compGroup, compUser},
	"tokens revoke":      {compToken},
}

// oneArg lists the commands whose arguments do not repeat.
var oneArg = map[string]int{
	"users get": 1, "users update": 1, "users rename": 1, "users sessions": 1, "users setup-link": 1,
	"groups get": 1, "groups update": 1,
}

// setupCompletion gives the commands under root completions of user,
// group and token names (read from the server of the saved login, or
// --url/--token) and of the fixed values of flags such as -o.
func setupCompletion(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if kinds, ok := argCompletion[path]; ok && c.ValidArgsFunction == nil && !c.HasSubCommands() {
			most := oneArg[path]
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if most > 0 && len(args) >= most {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				kind := kinds[min(len(args), len(kinds)-1)]
				var out []cobra.Completion
				for _, n := range completeNames(cmd, kind, toComplete) {
					if !slices.Contains(args, n) {
						out = append(out, n)
					}
				}
				return out, cobra.ShellCompDirectiveNoFileComp
			}
		}
		fixed := func(name string, values ...string) {
			if c.Flags().Lookup(name) != nil || c.PersistentFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
					var out []cobra.Completion
					for _, v := range values {
						if strings.HasPrefix(v, toComplete) {
							out = append(out, v)
						}
					}
					return out, cobra.ShellCompDirectiveNoFileComp
				})
			}
		}
		names := func(flag, kind string, list bool) {
			if c.Flags().Lookup(flag) == nil {
				return
			}
			_ = c.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				done, last := "", toComplete
				if i := strings.LastIndexByte(toComplete, ','); list && i >= 0 {
					done, last = toComplete[:i+1], toComplete[i+1:]
				}
				given := strings.Split(done, ",")
				var out []cobra.Completion
				for _, n := range completeNames(cmd, kind, last) {
					if !slices.Contains(given, n) {
						out = append(out, done+n)
					}
				}
				d := cobra.ShellCompDirectiveNoFileComp
				if list {
					d |= cobra.ShellCompDirectiveNoSpace // another ",name" may follow
				}
				return out, d
			})
		}
		if c.PersistentFlags().Lookup("output") != nil {
			if c.Name() == "export" {
				fixed("output", "csv", "json")
			} else {
				fixed("output", outputFormats...)
			}
		}
		switch path {
		case "export users":
			fixed("format", "csv", "jsonl")
		case "import users":
			fixed("format", "csv", "jsonl")
			fixed("key", "username", "email", "external-id")
		case "audit list":
			fixed("action", append(api.AuditActionFamilies(), api.AuditActions...)...)
			names("actor", compUser, false)
			names("target", compUser, false)
		}
		names("groups", compGroup, true)
		names("members", compUser, true)
		names("group", compGroup, false)
		names("user", compUser, false)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeNames asks the server for the names of kind that start with
// prefix. Completion must never get in the way: without a login, or when
// the server does not answer within a few seconds, it offers nothing.
func completeNames(cmd *cobra.Command, kind, prefix string) []cobra.Completion {
	c, err := completionClient(cmd)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []string
	switch kind {
	case compUser:
		for page, err := range c.Users.Pages(ctx, client.ListUsersOptions{Query: prefix, PageSize: 200}) {
			if err != nil {
				return nil
			}
			for _, u := range page {
				out = append(out, u.Attributes.Username)
			}
			break
		}
	case compGroup:
		for page, err := range c.Groups.Pages(ctx, client.ListGroupsOptions{Query: prefix, PageSize: 200}) {
			if err != nil {
				return nil
			}
			for _, g := range page {
				out = append(out, g.Attributes.Name)
			}
			break
		}
	case compToken:
		tokens, err := c.Tokens.List(ctx, client.ListTokensOptions{})
		if err != nil {
			return nil
		}
		for _, t := range tokens {
			out = append(out, t.Attributes.Name)
		}
	}
	seen := map[string]bool{}
	var keep []cobra.Completion
	for _, n := range out {
		// The server's prefix search also matches emails and names.
		if strings.HasPrefix(n, prefix) && !seen[n] {
			seen[n] = true
			keep = append(keep, n)
		}
	}
	sort.Strings(keep)
	return keep
}

// completionClient builds a client from the command's connection flags,
// the environment or the saved login, without retries.
func completionClient(cmd *cobra.Command) (*client.Client, error) {
	flag := func(name string) string {
		if f := cmd.Flag(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	o := &connOptions{url: flag("url"), token: flag("token"), config: flag("config")}
	url, token, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return client.New(url, client.WithToken(token), client.WithTimeout(5*time.Second), client.WithRetries(0, 0))
}
