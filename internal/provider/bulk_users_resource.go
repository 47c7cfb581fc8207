package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/client"
)

// Read tuning of rollcall_bulk_users. From bulkListMin users on, Read
// pages through the user list (1,000 users a request) instead of asking
// for each user: one request instead of a thousand, which also stays far
// below the server's per-token rate limit. It stops paging once it has
// seen bulkListFactor times as many users as it looks for (a small roster
// in a big directory) and asks for the rest one by one, bulkGetsInFlight
// at a time.
const (
	bulkListMin      = 50
	bulkListFactor   = 20
	bulkGetsInFlight = 8
)

// bulkUsersResource is rollcall_bulk_users: a whole roster of users as
// one Terraform resource, written with the atomic operations endpoint.
type bulkUsersResource struct {
	c *client.Client
	// batch is how many operations one request carries:
	// api.MaxAtomicOperations, fewer in tests of the batching.
	batch int
}

func newBulkUsersResource() resource.Resource {
	return &bulkUsersResource{batch: api.MaxAtomicOperations}
}

var (
	_ resource.ResourceWithConfigure   = (*bulkUsersResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*bulkUsersResource)(nil)
	_ resource.ResourceWithImportState = (*bulkUsersResource)(nil)
)

type bulkUsersModel struct {
	Users    types.Map      `tfsdk:"users"`
	IDs      types.Map      `tfsdk:"ids"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// Metadata names the type rollcall_bulk_users.
func (r *bulkUsersResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bulk_users"
}

// Schema describes rollcall_bulk_users.
func (r *bulkUsersResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = bulkUsersSchema(ctx)
}

func bulkUsersSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		MarkdownDescription: "Many Rollcall users managed as one resource: a roster from a CSV file or an HR export. " +
			"Each entry of `users` has the attributes of [`rollcall_user`](user.md), with the same defaults, the same " +
			"plan-time validation and the same handling of spellings (`en_us` and `en-US` are the same locale).\n\n" +
			"**When to use it.** `for_each` over `rollcall_user` is fine up to a few hundred users. Terraform's own work " +
			"grows with the square of the number of resource instances (about 40 s for 1,000 instances of anything on a " +
			"2-core machine, over two minutes for 2,000), so a directory of thousands of people cannot be managed that way. " +
			"This resource is one instance however many users it holds: its create, update and delete send the changes " +
			"as JSON:API atomic operations, up to 1,000 users a request, and its refresh reads the user list 1,000 users a request. " +
			"The plan still shows a diff per entry: an added, changed or removed user is listed under its key.\n\n" +
			"**Keys.** `users` is a map whose keys the configuration chooses; choose a key that never changes for a " +
			"person, such as the employee number (or the username if renames are not expected). Changing an entry's " +
			"attributes, including its `username`, updates that user in place: the id, passkeys and memberships stay. " +
			"Changing an entry's key deletes the user of the old key and creates a new one. Within one apply, users " +
			"are removed first, then updated, then created, so a username freed by a removed entry can be taken by another. " +
			"Two entries cannot swap usernames (or emails) in one apply: the first rename finds its new name still taken and " +
			"the request fails with a uniqueness conflict; swap them in two applies, giving both temporary names first.\n\n" +
			"**Ids.** `ids` maps each key to the user's id, so other resources can refer to " +
			"`rollcall_bulk_users.staff.ids[\"e1001\"]`. Read-only details that change by themselves " +
			"(status, passkey count, timestamps) are not part of the entries, so that they cause no diffs; read them " +
			"with the `rollcall_user` or `rollcall_users` data sources.\n\n" +
			"**Groups.** An entry's `groups`, when set, is that user's whole set of groups; left out (null), the entry does " +
			"not manage the user's memberships. As with `rollcall_user`, leave `groups` out for users whose memberships " +
			"are managed from the group side with `rollcall_group_members` or `rollcall_group_membership`.\n\n" +
			"**Changes outside Terraform.** Refresh reads every user: an attribute changed outside Terraform shows as an " +
			"in-place update of that entry, and a user deleted outside Terraform is dropped from the state, so the plan " +
			"creates it again. Deleting users that are already gone is not an error.\n\n" +
			"**Failures.** Each request of up to 1,000 operations applies completely or not at all. A create that fails " +
			"removes the users it had created, so nothing is left half made. An update that fails after some requests " +
			"keeps what was applied in the state, and the next plan shows the rest. An error names the entry, as in " +
			"`users[\"e1001\"].email`.\n\n" +
			"**Import** is not supported: Terraform cannot know which keys the configuration gives to existing users, " +
			"and an entry whose username or email an existing user has fails at apply, naming the entry. " +
			"Manage users that exist already with `rollcall_user`, which imports by id or username.",
		Attributes: map[string]schema.Attribute{
			"users": schema.MapNestedAttribute{
				MarkdownDescription: "The users, keyed by a stable key the configuration chooses (an employee number, say). " +
					"Every entry has the configurable attributes of `rollcall_user`. Two entries may not have the same username or email.",
				Required:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: userFieldSchemas()},
				Validators:   []validator.Map{uniqueEntries{}},
			},
			"ids": schema.MapAttribute{
				MarkdownDescription: "The id of each entry's user, by key. An id never changes, also not on rename, and is the OpenID Connect `sub`.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// entryType is the type of one entry of users, as the schema has it.
func entryType(ctx context.Context) attr.Type {
	return bulkUsersSchema(ctx).Attributes["users"].GetType().(types.MapType).ElemType
}

// Configure receives the API client.
func (r *bulkUsersResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan plans ids: the known id of every key that stays, unknown
// for new keys, so references to existing users stay known in a plan.
func (r *bulkUsersResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var users types.Map
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("users"), &users)...)
	if resp.Diagnostics.HasError() || users.IsUnknown() || users.IsNull() {
		return
	}
	prior := map[string]attr.Value{}
	if !req.State.Raw.IsNull() {
		var ids types.Map
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("ids"), &ids)...)
		if !ids.IsNull() && !ids.IsUnknown() {
			prior = ids.Elements()
		}
	}
	elems := make(map[string]attr.Value, len(users.Elements()))
	for k := range users.Elements() {
		if id, ok := prior[k]; ok {
			elems[k] = id
		} else {
			elems[k] = types.StringUnknown()
		}
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ids"), types.MapValueMust(types.StringType, elems))...)
}

// roster is the decoded content of a bulkUsersModel.
type roster struct {
	users map[string]userFields
	ids   map[string]string
}

func decodeRoster(ctx context.Context, m bulkUsersModel, diags *diag.Diagnostics) roster {
	ro := roster{users: entriesOf(m.Users), ids: map[string]string{}}
	if !m.IDs.IsNull() && !m.IDs.IsUnknown() {
		for k, v := range m.IDs.Elements() {
			if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
				ro.ids[k] = s.ValueString()
			}
		}
	}
	return ro
}

// set stores the roster in m.
func (ro roster) set(ctx context.Context, m *bulkUsersModel, diags *diag.Diagnostics) {
	t, ok := entryType(ctx).(types.ObjectType)
	if !ok {
		diags.AddError("Internal error", "the entries of users are not objects; this is a bug in the provider, please report it")
		return
	}
	elems := make(map[string]attr.Value, len(ro.users))
	for k, f := range ro.users {
		elems[k] = entryValue(t, f)
	}
	users, ds := types.MapValue(t, elems)
	diags.Append(ds...)
	ids := make(map[string]attr.Value, len(ro.ids))
	for k, id := range ro.ids {
		ids[k] = types.StringValue(id)
	}
	m.Users = users
	m.IDs = types.MapValueMust(types.StringType, ids)
}

// configEntries reads the configured entries, to tell a display_name the
// configuration leaves out from one it sets.
func configEntries(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, diags *diag.Diagnostics) map[string]userFields {
	var users types.Map
	diags.Append(get(ctx, path.Root("users"), &users)...)
	return entriesOf(users)
}

// bulkOp is one operation of an apply and the entry it is about.
type bulkOp struct {
	key string
	op  client.Operation
}

// Create creates every user, in requests of up to 1,000. When a request
// fails, the users of the earlier requests are removed again.
func (r *bulkUsersResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan bulkUsersModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	want := decodeRoster(ctx, plan, &resp.Diagnostics)
	cfg := configEntries(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()

	ops := make([]bulkOp, 0, len(want.users))
	for _, k := range slices.Sorted(maps.Keys(want.users)) {
		ops = append(ops, r.addOp(ctx, k, want.users[k], cfg[k], &resp.Diagnostics))
	}
	if resp.Diagnostics.HasError() {
		return
	}
	got := roster{users: map[string]userFields{}, ids: map[string]string{}}
	if err := r.apply(ctx, ops, want, &got, "create", &resp.Diagnostics); err != nil {
		if len(got.ids) == 0 {
			return
		}
		// Leave nothing half made: a create is all or nothing.
		if rerr := r.removeUsers(ctx, slices.Collect(maps.Values(got.ids))); rerr != nil {
			addAPIError(&resp.Diagnostics, r.c, fmt.Sprintf("remove the %d users created before the failure", len(got.ids)), rerr)
			got.set(ctx, &plan, &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		}
		return
	}
	got.set(ctx, &plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes every user. Users deleted outside Terraform are dropped
// from the state, so the plan creates them again. Terraform's refresh does
// not come here but to the protocol server's ReadResource
// (bulk_users_protocol.go), which calls refresh too.
func (r *bulkUsersResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state bulkUsersModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	now, _, ok := r.refresh(ctx, state, &resp.Diagnostics)
	if !ok {
		return
	}
	now.set(ctx, &state, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// refresh reads the users of state from the server: the refreshed
// roster and the one of state, or false after adding the failure to diags.
func (r *bulkUsersResource) refresh(ctx context.Context, state bulkUsersModel, diags *diag.Diagnostics) (now, have roster, ok bool) {
	if !configured(r.c, diags) {
		return roster{}, roster{}, false
	}
	have = decodeRoster(ctx, state, diags)
	if diags.HasError() {
		return roster{}, roster{}, false
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, diags)
	if !ok {
		return roster{}, roster{}, false
	}
	defer cancel()
	found, err := fetchUsers(ctx, r.c, slices.Collect(maps.Values(have.ids)), bulkListMin)
	if err != nil {
		addAPIError(diags, r.c, fmt.Sprintf("read %d users", len(have.ids)), err)
		return roster{}, roster{}, false
	}
	now = roster{users: make(map[string]userFields, len(have.ids)), ids: make(map[string]string, len(have.ids))}
	for k, id := range have.ids {
		u, ok := found[id]
		if !ok {
			continue
		}
		prior := have.users[k]
		f := prior
		f.fromAPI(u, prior, !prior.Groups.IsNull())
		f.keepSpellings(prior)
		now.users[k], now.ids[k] = f, id
	}
	return now, have, true
}

// Update removes the users of keys that left the configuration, updates
// the entries that changed (a new username renames in place) and creates
// the new keys' users. What was applied before a failure stays in the
// state.
func (r *bulkUsersResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var plan, state bulkUsersModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	want := decodeRoster(ctx, plan, &resp.Diagnostics)
	have := decodeRoster(ctx, state, &resp.Diagnostics)
	cfg := configEntries(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()

	planned, prior := plan.Users.Elements(), state.Users.Elements()
	var removes, updates, adds []bulkOp
	for _, k := range slices.Sorted(maps.Keys(have.ids)) {
		if _, ok := want.users[k]; !ok {
			removes = append(removes, bulkOp{key: k, op: client.RemoveUser(have.ids[k])})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want.users)) {
		id, exists := have.ids[k]
		switch {
		case !exists:
			adds = append(adds, r.addOp(ctx, k, want.users[k], cfg[k], &resp.Diagnostics))
		case prior[k] == nil || !planned[k].Equal(prior[k]):
			e := want.users[k]
			attrs := e.writeAttributes(ctx, writeUpdate, &resp.Diagnostics)
			attrs.DisplayName = writeUpdate(cfg[k].DisplayName)
			updates = append(updates, bulkOp{key: k, op: client.UpdateUser(id, attrs, e.groupIDs(ctx, &resp.Diagnostics))})
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// Start from the prior state with the unchanged entries as planned, and
	// apply each request's results to it.
	got := roster{users: make(map[string]userFields, len(want.users)), ids: make(map[string]string, len(want.users))}
	for k, id := range have.ids {
		got.ids[k] = id
		got.users[k] = have.users[k]
		if _, ok := want.users[k]; ok && planned[k].Equal(prior[k]) {
			got.users[k] = want.users[k]
		}
	}
	ops := slices.Concat(removes, updates, adds)
	_ = r.apply(ctx, ops, want, &got, "update", &resp.Diagnostics)
	got.set(ctx, &plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete deletes every user of the resource; users already gone are fine.
func (r *bulkUsersResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !configured(r.c, &resp.Diagnostics) {
		return
	}
	var state bulkUsersModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	have := decodeRoster(ctx, state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, ok := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	defer cancel()
	if err := r.removeUsers(ctx, slices.Sorted(maps.Values(have.ids))); err != nil {
		addAPIError(&resp.Diagnostics, r.c, fmt.Sprintf("delete %d users", len(have.ids)), err)
	}
}

// ImportState refuses: the keys of users are the configuration's choice.
func (r *bulkUsersResource) ImportState(_ context.Context, _ resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.AddError("rollcall_bulk_users cannot be imported",
		"The keys of users are chosen by the configuration, so Terraform cannot tell which key an existing user belongs to. "+
			"Import existing users one by one as rollcall_user (by id or username), or delete them and let rollcall_bulk_users create them.")
}

// addOp is the operation creating entry k.
func (r *bulkUsersResource) addOp(ctx context.Context, k string, e, cfg userFields, diags *diag.Diagnostics) bulkOp {
	attrs := e.writeAttributes(ctx, writeCreate, diags)
	attrs.DisplayName = writeCreate(cfg.DisplayName)
	return bulkOp{key: k, op: client.AddUser(attrs, e.groupIDs(ctx, diags), "")}
}

// apply sends ops in requests of up to r.batch operations and records
// each successful request's results in got: a removed key leaves it, an
// added or updated one takes the server's answer (with want's spellings).
// A failure is added to diags, naming the entries, and returned.
func (r *bulkUsersResource) apply(ctx context.Context, ops []bulkOp, want roster, got *roster, verb string, diags *diag.Diagnostics) error {
	for start := 0; start < len(ops); start += r.batch {
		chunk := ops[start:min(start+r.batch, len(ops))]
		batch := make([]client.Operation, len(chunk))
		for i, o := range chunk {
			batch[i] = o.op
		}
		results, err := r.c.Operations(ctx, batch)
		if err == nil && len(results) != len(chunk) {
			err = fmt.Errorf("the server answered %d results to %d operations", len(results), len(chunk))
		}
		if err != nil {
			addBulkError(diags, r.c, verb, err, chunk, want)
			return err
		}
		for i, o := range chunk {
			if o.op.Op == api.OpRemove {
				delete(got.users, o.key)
				delete(got.ids, o.key)
				continue
			}
			var u api.User
			if err := json.Unmarshal(results[i].Data, &u); err != nil {
				diags.AddError("Unexpected answer from Rollcall",
					fmt.Sprintf("Could not decode the user of users[%q] in the server's answer: %v", o.key, err))
				return err
			}
			planned := want.users[o.key]
			f := planned
			f.fromAPI(&u, planned, !planned.Groups.IsNull())
			f.keepSpellings(planned)
			got.users[o.key], got.ids[o.key] = f, u.ID
		}
	}
	return nil
}

// addBulkError is addAPIError for an operations request: each error the
// server reports about one operation is attached to that entry of users
// (users["e1001"].email) and its text names the entry.
func addBulkError(diags *diag.Diagnostics, c *client.Client, verb string, err error, chunk []bulkOp, want roster) {
	apiErr, ok := client.AsAPIError(err)
	if !ok || apiErr.StatusCode < 400 || apiErr.StatusCode >= 500 || len(apiErr.Errors) == 0 || client.IsUnauthorized(err) {
		addAPIError(diags, c, fmt.Sprintf("%s %d users", verb, len(chunk)), err)
		return
	}
	for _, e := range apiErr.Errors {
		i := client.OperationIndex(e)
		if i < 0 || i >= len(chunk) {
			diags.AddError("Rollcall refused the request",
				fmt.Sprintf("Could not %s %d users: %s", verb, len(chunk), client.FormatError(e)))
			continue
		}
		k := chunk[i].key
		what := chunk[i].op.Op + " the user of users[" + strconv.Quote(k) + "]"
		if u, ok := want.users[k]; ok {
			what += " (" + u.Username.ValueString() + ")"
		}
		prefix := "/atomic:operations/" + strconv.Itoa(i)
		p := path.Root("users").AtMapKey(k)
		if name, ok := attrForPointer(strings.TrimPrefix(e.Source.Pointer, prefix)); ok {
			p = p.AtName(name)
		}
		// The server counts operations within one request; the entry's key
		// is what the person can find in the configuration.
		e.Detail = strings.TrimPrefix(e.Detail, "operation "+strconv.Itoa(i)+": ")
		e.Source = nil
		detail := fmt.Sprintf("Could not %s: %s", what, client.FormatError(e))
		if apiErr.RequestID != "" {
			detail += " (request id " + apiErr.RequestID + ")"
		}
		diags.AddAttributeError(p, "Rollcall refused "+p.String(), detail)
	}
}

// removeUsers deletes users by id in requests of up to
// r.batch. A request fails as a whole when one of its
// users is gone already; the users still there are then sent again.
func (r *bulkUsersResource) removeUsers(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += r.batch {
		chunk := ids[start:min(start+r.batch, len(ids))]
		for attempt := 0; len(chunk) > 0; attempt++ {
			ops := make([]client.Operation, len(chunk))
			for i, id := range chunk {
				ops[i] = client.RemoveUser(id)
			}
			err := r.c.ApplyOperations(ctx, ops)
			if err == nil {
				break
			}
			if !client.IsNotFound(err) || attempt == 3 {
				return err
			}
			found, ferr := fetchUsers(ctx, r.c, chunk, bulkListMin)
			if ferr != nil {
				return ferr
			}
			chunk = slices.DeleteFunc(slices.Clone(chunk), func(id string) bool { return found[id] == nil })
		}
	}
	return nil
}

// fetchUsers reads the users with these ids; ids that do not exist are
// missing from the answer. From listMin ids on it pages through the user
// list (see bulkListMin), then asks for the ids not seen there one by
// one, bulkGetsInFlight at a time.
func fetchUsers(ctx context.Context, c *client.Client, ids []string, listMin int) (map[string]*api.User, error) {
	found := make(map[string]*api.User, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	if len(ids) >= listMin {
		want := make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
		seen := 0
		for page, err := range c.Users.Pages(ctx, client.ListUsersOptions{PageSize: client.MaxPageSize}) {
			if err != nil {
				return nil, err
			}
			for i := range page {
				if want[page[i].ID] {
					found[page[i].ID] = &page[i]
				}
			}
			seen += len(page)
			if len(found) == len(want) || seen >= bulkListFactor*len(ids) {
				break
			}
		}
	}
	var rest []string
	for _, id := range ids {
		if found[id] == nil {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return found, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan string)
	)
	for range min(bulkGetsInFlight, len(rest)) {
		wg.Go(func() {
			for id := range next {
				u, err := c.Users.Get(ctx, id)
				mu.Lock()
				switch {
				case err == nil:
					found[id] = u
				case client.IsNotFound(err):
				case firstErr == nil:
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range rest {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return found, ctx.Err()
}

// uniqueEntries refuses two entries of users with the same username or
// email: the server would refuse the second at apply.
type uniqueEntries struct{}

var _ validator.Map = uniqueEntries{}

func (uniqueEntries) Description(context.Context) string {
	return "no two entries have the same username or email"
}
func (v uniqueEntries) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

// ValidateMap compares the known usernames (normalised) and emails
// (ignoring case) of all entries.
func (uniqueEntries) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements() // a copy on every call
	entries := make([]uniqueEntry, 0, len(elems))
	for _, k := range slices.Sorted(maps.Keys(elems)) {
		obj, ok := elems[k].(types.Object)
		if !ok || obj.IsNull() || obj.IsUnknown() {
			continue
		}
		e := uniqueEntry{key: k}
		a := obj.Attributes()
		e.username, e.hasUsername = stringOf(a["username"])
		e.email, e.hasEmail = stringOf(a["email"])
		entries = append(entries, e)
	}
	checkUnique(req.Path, entries, &resp.Diagnostics)
}

// stringOf is the value of a known string attribute.
func stringOf(v attr.Value) (string, bool) {
	sv, ok := v.(interface {
		IsNull() bool
		IsUnknown() bool
		ValueString() string
	})
	if !ok || sv.IsNull() || sv.IsUnknown() {
		return "", false
	}
	return sv.ValueString(), true
}

// entryValue is f as an entry of users, of type t.
func entryValue(t types.ObjectType, f userFields) types.Object {
	return types.ObjectValueMust(t.AttrTypes, f.attrValues())
}

// entryFields reads an entry of users; ok is false when it is not a
// known object.
func entryFields(v attr.Value) (userFields, bool) {
	o, ok := v.(types.Object)
	if !ok || o.IsNull() || o.IsUnknown() {
		return userFields{}, false
	}
	return userFieldsFrom(o.Attributes()), true
}

// entriesOf reads the known entries of a users map.
func entriesOf(m types.Map) map[string]userFields {
	out := make(map[string]userFields, len(m.Elements()))
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	for k, v := range m.Elements() {
		if f, ok := entryFields(v); ok {
			out[k] = f
		}
	}
	return out
}
