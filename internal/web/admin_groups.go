package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

type groupForm struct {
	Name, FriendlyName, Description string
}

func readGroupForm(r *http.Request) groupForm { return groupFormFrom(r.PostFormValue) }

// groupFormFrom reads the group form's fields with get (see userFormFrom).
func groupFormFrom(get func(string) string) groupForm {
	return groupForm{
		Name:         strings.TrimSpace(get("name")),
		FriendlyName: strings.TrimSpace(get("friendly-name")),
		Description:  strings.TrimSpace(get("description")),
	}
}

func (f groupForm) write() api.GroupWriteAttributes {
	return api.GroupWriteAttributes{Name: api.Some(f.Name), FriendlyName: api.Some(f.FriendlyName), Description: api.Some(f.Description)}
}

type adminGroupsData struct {
	Query  string
	Groups []store.Group
	Next   string
	First  bool
	Form   groupForm
	Errors map[string]string
}

func (h *Handler) adminGroups(w http.ResponseWriter, r *http.Request) {
	v := view{Notice: adminNotices[r.URL.Query().Get("done")]}
	f := h.withFlash(w, r, &v)
	form := groupForm{}
	if f.Form != nil {
		form = groupFormFrom(f.formValue)
	}
	h.renderGroups(w, r, http.StatusOK, v, form, f.Errors)
}

func (h *Handler) renderGroups(w http.ResponseWriter, r *http.Request, status int, v view, form groupForm, errs map[string]string) {
	q := r.URL.Query()
	query, after := param(q, "q"), q.Get("after")
	groups, next, err := h.st.ListGroups(r.Context(), store.GroupFilter{Query: query}, store.Page{After: after, Limit: adminPageSize})
	if errors.Is(err, store.ErrInvalidCursor) {
		after = ""
		groups, next, err = h.st.ListGroups(r.Context(), store.GroupFilter{Query: query}, store.Page{Limit: adminPageSize})
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if next != "" {
		next = "/admin/groups?" + url.Values{"q": {query}, "after": {next}}.Encode()
	}
	v.Title, v.Section = "Groups", "groups"
	v.Data = adminGroupsData{Query: query, Groups: groups, Next: next, First: after == "", Form: form, Errors: errs}
	h.render(w, r, status, "admin_groups", v)
}

func (h *Handler) adminCreateGroup(w http.ResponseWriter, r *http.Request) {
	form := readGroupForm(r)
	wa := form.write()
	if errs := wa.Normalize(true); len(errs) > 0 {
		h.refuseForm(w, r, "/admin/groups", "The group was not created: correct the fields marked below.", fieldErrors(errs), func() {
			h.renderGroups(w, r, http.StatusUnprocessableEntity, view{Error: "The group was not created: correct the fields marked below."}, form, fieldErrors(errs))
		})
		return
	}
	g, err := h.st.CreateGroup(r.Context(), store.Group{Name: wa.Name.Value, FriendlyName: wa.FriendlyName.Value, Description: wa.Description.Value}, h.metaOf(r))
	if ce := conflictErrors(err, userForm{}, wa.Name.Value); ce != nil {
		h.refuseForm(w, r, "/admin/groups", "The group was not created: correct the fields marked below.", ce, func() {
			h.renderGroups(w, r, http.StatusConflict, view{Error: "The group was not created: correct the fields marked below."}, form, ce)
		})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID)+"?done=gcreated", http.StatusSeeOther)
}

type adminGroupData struct {
	Group   store.Group
	Form    groupForm
	Errors  map[string]string
	Members []store.User
	// Query searches the members like the user list; Next and First page
	// through them (adminPageSize a page), keeping the query.
	Query string
	Next  string
	First bool
}

func (h *Handler) loadGroup(w http.ResponseWriter, r *http.Request) (store.Group, bool) {
	g, err := h.st.GetGroup(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.renderStatusAction(w, r, http.StatusNotFound, statusData{Heading: "No such group",
			Message: "This group does not exist; it may have been deleted.", Action: "/admin/groups", Label: "Back to groups"})
		return g, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return g, false
	}
	return g, true
}

func (h *Handler) renderGroup(w http.ResponseWriter, r *http.Request, status int, g store.Group, v view, form *groupForm, errs map[string]string) {
	q := r.URL.Query()
	query, after := param(q, "q"), q.Get("after")
	if r.Method != http.MethodGet {
		query, after = "", ""
	}
	filter := store.UserFilter{GroupID: g.ID, Query: query}
	members, next, err := h.st.ListUsers(r.Context(), filter, store.Page{After: after, Limit: adminPageSize})
	if errors.Is(err, store.ErrInvalidCursor) {
		after = ""
		members, next, err = h.st.ListUsers(r.Context(), filter, store.Page{Limit: adminPageSize})
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := groupForm{Name: g.Name, FriendlyName: g.FriendlyName, Description: g.Description}
	if form != nil {
		f = *form
	}
	v.Title, v.Section = g.Name, "groups"
	if next != "" {
		nq := url.Values{"after": {next}}
		if query != "" {
			nq.Set("q", query)
		}
		next = "/admin/groups/" + url.PathEscape(g.ID) + "?" + nq.Encode() + "#members-h"
	}
	v.Data = adminGroupData{Group: g, Form: f, Errors: errs, Members: members, Query: query, Next: next, First: after == ""}
	h.render(w, r, status, "admin_group", v)
}

func (h *Handler) adminGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	v := view{Notice: adminNotices[r.URL.Query().Get("done")]}
	f := h.withFlash(w, r, &v)
	var form *groupForm
	if f.Form != nil {
		gf := groupFormFrom(f.formValue)
		form = &gf
	}
	h.renderGroup(w, r, http.StatusOK, g, v, form, f.Errors)
}

func (h *Handler) adminEditGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	form := readGroupForm(r)
	wa := form.write()
	if errs := wa.Normalize(false); len(errs) > 0 {
		h.refuseGroupEdit(w, r, g, http.StatusUnprocessableEntity, "Nothing was saved: correct the fields marked below.", &form, fieldErrors(errs))
		return
	}
	_, err := h.st.UpdateGroup(r.Context(), g.ID, formVersion(r), func(x *store.Group) error {
		x.Name, x.FriendlyName, x.Description = wa.Name.Value, wa.FriendlyName.Value, wa.Description.Value
		return nil
	}, h.metaOf(r))
	if errors.Is(err, store.ErrPreconditionFailed) {
		h.refuseGroupEdit(w, r, g, http.StatusConflict, staleMessage, &form, nil)
		return
	}
	if ce := conflictErrors(err, userForm{}, wa.Name.Value); ce != nil {
		h.refuseGroupEdit(w, r, g, http.StatusConflict, "Nothing was saved: correct the fields marked below.", &form, ce)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID)+"?done=saved", http.StatusSeeOther)
}

// refuseGroupEdit sends a refused edit of g back to the group's page with
// what was typed (see refuseForm).
func (h *Handler) refuseGroupEdit(w http.ResponseWriter, r *http.Request, g store.Group, status int, msg string, form *groupForm, errs map[string]string) {
	h.refuseForm(w, r, "/admin/groups/"+url.PathEscape(g.ID), msg, errs, func() {
		h.renderGroup(w, r, status, g, view{Error: msg}, form, errs)
	})
}

func (h *Handler) adminDeleteGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != g.Name {
		h.redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID), flash{Error: fmt.Sprintf("To delete this group, type its name %q into the confirmation field.", g.Name)})
		return
	}
	if err := h.st.DeleteGroup(r.Context(), g.ID, 0, h.metaOf(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups?done=gdeleted", http.StatusSeeOther)
}

// adminGroupMembers adds a member by username or removes one by id.
func (h *Handler) adminGroupMembers(w http.ResponseWriter, r *http.Request) {
	g, ok := h.loadGroup(w, r)
	if !ok {
		return
	}
	var uid string
	op := store.MembershipAdd
	if r.PostFormValue("action") == "remove" {
		op, uid = store.MembershipRemove, r.PostFormValue("user")
	} else {
		name := api.NormalizeName(strings.TrimSpace(r.PostFormValue("username")))
		u, err := h.st.GetUserByUsername(r.Context(), name)
		if errors.Is(err, store.ErrNotFound) {
			h.redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID), flash{Error: fmt.Sprintf("No user has the username %q; check the spelling on the Users page.", name)})
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		uid = u.ID
	}
	_, err := h.st.ChangeGroupMembers(r.Context(), g.ID, 0, op, []string{uid}, h.metaOf(r))
	if errors.Is(err, store.ErrInvalidReference) {
		h.redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID), flash{Error: "That user no longer exists."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/groups/"+url.PathEscape(g.ID)+"?done=members", http.StatusSeeOther)
}

type adminAuditData struct {
	Action, Actor, Target, Since, Until string
	Events                              []store.AuditEvent
	Next                                string
	First                               bool
}

// adminAudit lists audit events, newest or oldest first as the store
// orders them, filtered by action (exact or a prefix such as "user."),
// actor username, target (id, username or group name) and a date range.
func (h *Handler) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := adminAuditData{
		Action: param(q, "action"), Actor: param(q, "actor"),
		Target: param(q, "target"), Since: param(q, "since"), Until: param(q, "until"),
	}
	v := view{Title: "Audit log", Section: "audit"}
	f := store.AuditFilter{Action: d.Action, TargetID: d.Target}
	var problems []string
	// The target may be given by id, or by a user's or group's name.
	if d.Target != "" {
		if _, err := uuid.Parse(d.Target); err != nil {
			name := api.NormalizeName(d.Target)
			if u, err := h.st.GetUserByUsername(r.Context(), name); err == nil {
				f.TargetID = u.ID
			} else if g, err := h.st.GetGroupByName(r.Context(), name); err == nil {
				f.TargetID = g.ID
			} else {
				problems = append(problems, fmt.Sprintf("no user or group is named %q (give the id of a deleted one)", d.Target))
			}
		}
	}
	if d.Actor != "" {
		u, err := h.st.GetUserByUsername(r.Context(), api.NormalizeName(d.Actor))
		switch {
		case err == nil:
			f.ActorID = u.ID
		case errors.Is(err, store.ErrNotFound):
			problems = append(problems, fmt.Sprintf("no user has the username %q (deleted users' events can be found by target id)", d.Actor))
			f.ActorID = "-"
		default:
			h.serverError(w, r, err)
			return
		}
	}
	for _, p := range []struct {
		raw  string
		name string
		dst  *time.Time
		add  time.Duration
	}{{d.Since, "from", &f.Since, 0}, {d.Until, "to", &f.Until, 24 * time.Hour}} {
		if p.raw == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", p.raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("the %s date %q is not a date such as 2026-11-23", p.name, p.raw))
			continue
		}
		*p.dst = t.Add(p.add)
	}
	if len(problems) > 0 {
		v.Error = "Filter ignored in part: " + strings.Join(problems, "; ") + "."
	}
	after := q.Get("after")
	events, next, err := h.st.ListAuditEvents(r.Context(), f, store.Page{After: after, Limit: adminPageSize})
	if errors.Is(err, store.ErrInvalidCursor) {
		after = ""
		events, next, err = h.st.ListAuditEvents(r.Context(), f, store.Page{Limit: adminPageSize})
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Events, d.First = events, after == ""
	if next != "" {
		nq := url.Values{}
		for k, val := range map[string]string{"action": d.Action, "actor": d.Actor, "target": d.Target, "since": d.Since, "until": d.Until, "after": next} {
			if val != "" {
				nq.Set(k, val)
			}
		}
		d.Next = "/admin/audit?" + nq.Encode()
	}
	v.Data = d
	h.render(w, r, http.StatusOK, "admin_audit", v)
}
