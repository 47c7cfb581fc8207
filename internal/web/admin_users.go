package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/store"
)

// adminPageSize is how many rows an admin list shows per page.
const adminPageSize = 50

var adminNotices = map[string]string{
	"created":  "User created.",
	"saved":    "Changes saved.",
	"disabled": "User disabled: they cannot sign in, and their sessions have ended.",
	"enabled":  "User enabled.",
	"deleted":  "User deleted.",
	"revoked":  "All passkeys of this user were removed and their sessions ended.",
	"pkremoved": "Passkey removed. The user's sessions have ended too: they sign in again with another passkey, " +
		"or with a new setup link if they have none.",
	"groups":      "Group memberships changed.",
	"linkrevoked": "Setup link revoked: it no longer works.",
	"members":     "Members changed.",
	"gcreated":    "Group created.",
	"gdeleted":    "Group deleted.",
}

// userForm holds the editable user fields as the form shows them, so a
// refused form is shown again with what the admin typed.
type userForm struct {
	Username, Email, FirstName, LastName, DisplayName, Locale string
	Title, Department, Phone, Mobile, AvatarURL               string
	ExternalID, ExternalSource                                string
	IsAdmin, EmailVerified                                    bool
}

func formOfUser(u store.User) userForm {
	return userForm{
		Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.DisplayName, Locale: u.Locale, Title: u.Title, Department: u.Department,
		Phone: u.Phone, Mobile: u.Mobile, AvatarURL: u.AvatarURL,
		ExternalID: u.ExternalID, ExternalSource: u.ExternalSource,
		IsAdmin: u.IsAdmin, EmailVerified: u.EmailVerified,
	}
}

func readUserForm(r *http.Request) userForm { return userFormFrom(r.PostFormValue) }

// userFormFrom reads the user form's fields with get: a request's
// PostFormValue, or a refused form's values carried by a flash.
func userFormFrom(get func(string) string) userForm {
	v := func(k string) string { return strings.TrimSpace(get(k)) }
	return userForm{
		Username: v("username"), Email: v("email"), FirstName: v("first-name"), LastName: v("last-name"),
		DisplayName: v("display-name"), Locale: v("locale"), Title: v("title"), Department: v("department"),
		Phone: v("phone"), Mobile: v("mobile"), AvatarURL: v("avatar-url"),
		ExternalID: v("external-id"), ExternalSource: v("external-source"),
		IsAdmin: get("is-admin") == "on", EmailVerified: get("email-verified") == "on",
	}
}

// write turns the form into the API's write attributes, so the same
// Normalize validates it and the messages match the API's word for word.
func (f userForm) write() api.UserWriteAttributes {
	return api.UserWriteAttributes{
		Username: api.Some(f.Username), Email: api.Some(f.Email),
		FirstName: api.Some(f.FirstName), LastName: api.Some(f.LastName), DisplayName: api.Some(f.DisplayName),
		Locale: api.Some(f.Locale), Title: api.Some(f.Title), Department: api.Some(f.Department),
		Phone: api.Some(f.Phone), Mobile: api.Some(f.Mobile), AvatarURL: api.Some(f.AvatarURL),
		ExternalID: api.Some(f.ExternalID), ExternalSource: api.Some(f.ExternalSource),
		IsAdmin: api.Some(f.IsAdmin), EmailVerified: api.Some(f.EmailVerified),
	}
}

// apply copies normalised write attributes onto a stored user.
func apply(u *store.User, w api.UserWriteAttributes) {
	u.Username, u.Email = w.Username.Value, w.Email.Value
	u.FirstName, u.LastName, u.DisplayName = w.FirstName.Value, w.LastName.Value, w.DisplayName.Value
	u.Locale, u.Title, u.Department = w.Locale.Value, w.Title.Value, w.Department.Value
	u.Phone, u.Mobile, u.AvatarURL = w.Phone.Value, w.Mobile.Value, w.AvatarURL.Value
	u.ExternalID, u.ExternalSource = w.ExternalID.Value, w.ExternalSource.Value
	u.IsAdmin, u.EmailVerified = w.IsAdmin.Value, w.EmailVerified.Value
}

// fieldErrors maps API validation errors to form field names.
func fieldErrors(errs api.Errors) map[string]string {
	out := map[string]string{}
	for _, e := range errs {
		field := "form"
		if e.Source != nil {
			field = strings.TrimPrefix(e.Source.Pointer, "/data/attributes/")
			if i := strings.Index(field, "/"); i >= 0 {
				field = field[:i]
			}
		}
		if out[field] == "" {
			out[field] = e.Detail
		}
	}
	return out
}

// conflictErrors explains a uniqueness conflict on a user or group form.
func conflictErrors(err error, form userForm, group string) map[string]string {
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		return nil
	}
	switch ce.Field {
	case "username":
		return map[string]string{"username": fmt.Sprintf("username %q is already taken; choose another", form.Username)}
	case "email":
		return map[string]string{"email": fmt.Sprintf("email %q is already used by another user; each user needs their own address", form.Email)}
	case "name":
		return map[string]string{"name": fmt.Sprintf("a group named %q already exists; choose another name", group)}
	}
	return map[string]string{"form": "another record already has one of these values"}
}

type adminUsersData struct {
	Query, Status, Group, Sort string
	Desc                       bool
	Users                      []store.User
	Total                      int
	// Capped says more than Total users match: the count stopped at
	// userCountLimit (or at this page), and Pages is how many whole pages
	// Total fills, fewer than there are.
	Capped            bool
	Page, Pages       int
	Prev, Next, First string // links; "" when there is none
	Groups            []store.Group
	Statuses          []statusOption
	// SortLinks are the column headers' links: the column's order, or the
	// other direction when the list is already in it.
	SortLinks map[string]string
}

type statusOption struct{ Value, Label string }

var userStatuses = []statusOption{
	{store.UserStatusActive, "Active"}, {store.UserStatusPendingSetup, "Pending setup"},
	{store.UserStatusDisabled, "Disabled"}, {store.UserStatusServiceAccount, "Service account"},
}

// userCountLimit is how many matches of a search (or of a status within a
// group) the user list counts before it says "more than"; a variable so
// that tests can make it small.
var userCountLimit = store.UserListCountLimit

// adminUsers lists users with their total, sorted by name, last sign-in or
// status, filtered by a search, a status and a group, a page of 50 at a
// time with Previous, Next and the page's position; the whole query lives
// in the URL, so a page can be reloaded, bookmarked and shared.
func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := adminUsersData{Query: param(q, "q"), Status: param(q, "status"), Group: param(q, "group"),
		Sort: q.Get("sort"), Desc: q.Get("dir") == "desc", Statuses: userStatuses}
	v := view{Title: "Users", Section: "users", Notice: adminNotices[q.Get("done")]}
	h.withFlash(w, r, &v)
	switch d.Sort {
	case store.UserSortLastSignIn, store.UserSortStatus:
	default:
		d.Sort = store.UserSortName
	}
	if _, ok := map[string]bool{"": true, store.UserStatusActive: true, store.UserStatusPendingSetup: true,
		store.UserStatusDisabled: true, store.UserStatusServiceAccount: true}[d.Status]; !ok {
		v.Error = fmt.Sprintf("There is no status %q; showing users of every status.", d.Status)
		d.Status = ""
	}
	lq := store.UserListQuery{Query: d.Query, Status: d.Status, Sort: d.Sort, Desc: d.Desc, Limit: adminPageSize,
		CountLimit: userCountLimit}
	if d.Group != "" {
		g, err := h.st.GetGroupByName(r.Context(), api.NormalizeName(d.Group))
		if errors.Is(err, store.ErrNotFound) {
			g, err = h.st.GetGroup(r.Context(), d.Group)
		}
		switch {
		case err == nil:
			lq.GroupID, d.Group = g.ID, g.Name
		case errors.Is(err, store.ErrNotFound):
			v.Error = fmt.Sprintf("There is no group %q; showing users of every group.", d.Group)
			d.Group = ""
		default:
			h.serverError(w, r, err)
			return
		}
	}
	d.Page = 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= 1_000_000 {
		d.Page = n
	}
	lq.Offset = (d.Page - 1) * adminPageSize
	list, err := h.st.ListUsersPage(r.Context(), lq)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if d.Pages = pages(list); d.Page > d.Pages {
		// A page past the end (users were deleted meanwhile): the last.
		// The count that found it empty is exact: it went past the page.
		d.Page = d.Pages
		lq.Offset = (d.Page - 1) * adminPageSize
		if list, err = h.st.ListUsersPage(r.Context(), lq); err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Pages = pages(list)
	}
	d.Users, d.Total, d.Capped = list.Users, list.Total, list.TotalCapped
	link := func(page int, sort string, desc bool) string {
		u := url.Values{}
		for k, val := range map[string]string{"q": d.Query, "status": d.Status, "group": d.Group} {
			if val != "" {
				u.Set(k, val)
			}
		}
		if sort != store.UserSortName {
			u.Set("sort", sort)
		}
		if desc {
			u.Set("dir", "desc")
		}
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		if len(u) == 0 {
			return "/admin/users"
		}
		return "/admin/users?" + u.Encode()
	}
	if d.Page > 1 {
		d.Prev, d.First = link(d.Page-1, d.Sort, d.Desc), link(1, d.Sort, d.Desc)
	}
	if d.Page < d.Pages || d.Capped { // a capped count went past this page
		d.Next = link(d.Page+1, d.Sort, d.Desc)
	}
	d.SortLinks = map[string]string{}
	for _, s := range []string{store.UserSortName, store.UserSortLastSignIn, store.UserSortStatus} {
		// A new column starts in its natural direction: names A to Z,
		// the latest sign-in first.
		d.SortLinks[s] = link(1, s, s == store.UserSortLastSignIn)
		if s == d.Sort {
			d.SortLinks[s] = link(1, s, !d.Desc)
		}
	}
	if d.Groups, _, err = h.st.ListGroups(r.Context(), store.GroupFilter{}, store.Page{Limit: 1000}); err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Data = d
	h.render(w, r, http.StatusOK, "admin_users", v)
}

// pages is how many pages the list's total fills: all of them, or, when the
// count stopped early, the whole pages it counted, fewer than there are
// (more than 10,000 users are more than 200 pages). Never below 1.
func pages(l store.UserListPage) int {
	if l.TotalCapped {
		return max(1, l.Total/adminPageSize)
	}
	return max(1, (l.Total+adminPageSize-1)/adminPageSize)
}

type adminNewUserData struct {
	Form     userForm
	Errors   map[string]string
	CanEmail bool
}

func (h *Handler) adminNewUser(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "New user", Section: "users"}
	f := h.withFlash(w, r, &v)
	d := adminNewUserData{Form: userForm{}, CanEmail: h.links.CanEmail()}
	if f.Form != nil {
		d.Form, d.Errors = userFormFrom(f.formValue), f.Errors
	}
	v.Data = d
	h.render(w, r, http.StatusOK, "admin_user_new", v)
}

func (h *Handler) adminCreateUser(w http.ResponseWriter, r *http.Request) {
	form := readUserForm(r)
	wa := form.write()
	refuse := func(status int, errs map[string]string) {
		const msg = "The user was not created: correct the fields marked below."
		h.refuseForm(w, r, "/admin/users/new", msg, errs, func() {
			h.render(w, r, status, "admin_user_new", view{Title: "New user", Section: "users", Error: msg,
				Data: adminNewUserData{Form: form, Errors: errs, CanEmail: h.links.CanEmail()}})
		})
	}
	if errs := wa.Normalize(true); len(errs) > 0 {
		refuse(http.StatusUnprocessableEntity, fieldErrors(errs))
		return
	}
	var u store.User
	apply(&u, wa)
	u, err := h.st.CreateUser(r.Context(), u, h.metaOf(r))
	if ce := conflictErrors(err, form, ""); ce != nil {
		refuse(http.StatusConflict, ce)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if r.PostFormValue("setup-link") == "on" || r.PostFormValue("send-email") == "on" {
		h.issueLinkAndShow(w, r, u, r.PostFormValue("send-email") == "on", "User created.")
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=created", http.StatusSeeOther)
}

type adminUserData struct {
	User      store.User
	Form      userForm
	Errors    map[string]string
	Groups    []store.GroupLabel // the user's groups
	AllGroups []store.Group      // groups the user can be added to
	Passkeys  []store.Passkey
	Sessions  []sessionRow
	Link      *IssuedLink
	// SetupLinks are the user's outstanding setup links (at most one).
	SetupLinks []store.SetupLink
	CanEmail   bool
	Self       bool
	// QR is the setup link as a QR code (a PNG data URL), for a person
	// who sets up their phone from the admin's screen.
	QR template.URL
}

func (h *Handler) loadUser(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u, err := h.st.GetUser(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.renderStatusAction(w, r, http.StatusNotFound, statusData{Heading: "No such user",
			Message: "This user does not exist; it may have been deleted.", Action: "/admin/users", Label: "Back to users"})
		return u, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return u, false
	}
	return u, true
}

func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, status int, u store.User, v view, form *userForm, errs map[string]string, link *IssuedLink) {
	groups, err := h.st.GroupLabels(r.Context(), u.GroupIDs)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	all, _, err := h.st.ListGroups(r.Context(), store.GroupFilter{}, store.Page{Limit: 1000})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	member := map[string]bool{}
	for _, id := range u.GroupIDs {
		member[id] = true
	}
	var addable []store.Group
	for _, g := range all {
		if !member[g.ID] {
			addable = append(addable, g)
		}
	}
	pks, err := h.auth.ListPasskeys(r.Context(), u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	sessions, err := h.userSessions(r, u.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	links, err := h.auth.ListSetupLinks(r.Context(), u.ID, h.now())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := formOfUser(u)
	if form != nil {
		f = *form
	}
	var qr template.URL
	if link != nil && link.URL != "" {
		if png, err := qrcode.Encode(link.URL, qrcode.Medium, 384); err == nil {
			qr = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		} else {
			h.log.Warn("making the setup link's QR code", "error", err)
		}
	}
	v.Title, v.Section = u.Username, "users"
	v.Data = adminUserData{User: u, Form: f, Errors: errs, Groups: groups, AllGroups: addable, Passkeys: pks, Sessions: sessions,
		Link: link, SetupLinks: links, CanEmail: h.links.CanEmail(), Self: u.ID == viewerOf(r).user.ID, QR: qr}
	h.render(w, r, status, "admin_user", v)
}

func (h *Handler) adminUser(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	notice := adminNotices[q.Get("done")]
	if n := countNotice(q); n != "" {
		notice = n
	}
	v := view{Notice: notice}
	f := h.withFlash(w, r, &v)
	var link *IssuedLink
	if f.LinkURL != "" && f.LinkUser == u.ID {
		link = &IssuedLink{URL: f.LinkURL, Emailed: f.LinkEmailed}
		link.Link.ExpiresAt = f.LinkExpires
	}
	var form *userForm
	if f.Form != nil {
		uf := userFormFrom(f.formValue)
		form = &uf
	}
	h.renderUser(w, r, http.StatusOK, u, v, form, f.Errors, link)
}

// userPath is the admin page of user id.
func userPath(id string) string { return "/admin/users/" + url.PathEscape(id) }

// lastAdmin reports whether u is the only enabled admin, whom no change may
// demote, disable or delete: someone must be able to administer Rollcall.
// It lets a form say so before trying; the store enforces the rule (a
// change that loses a race with another admin's gets store.ErrLastAdmin).
func (h *Handler) lastAdmin(r *http.Request, u store.User) (bool, error) {
	if !u.IsAdmin || u.Disabled {
		return false, nil
	}
	n, err := h.st.CountAdmins(r.Context())
	return n <= 1, err
}

// staleMessage explains a refused edit of a record someone else changed
// after the form was loaded.
const staleMessage = "Someone changed this record after you opened the page, so nothing was saved. The form shows your values over the current record: check them and save again."

// formVersion is the record version the edit form was made from (its
// hidden version field), so that saving it cannot silently undo a change
// made meanwhile; 0 when absent.
func formVersion(r *http.Request) int64 {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

const lastAdminMessage = "This is the only enabled administrator. Make another user an administrator first, so that someone can still manage Rollcall."

func (h *Handler) adminEditUser(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	form := readUserForm(r)
	wa := form.write()
	if errs := wa.Normalize(false); len(errs) > 0 {
		h.refuseEdit(w, r, u, http.StatusUnprocessableEntity, "Nothing was saved: correct the fields marked below.", &form, fieldErrors(errs))
		return
	}
	if self := u.ID == viewerOf(r).user.ID; self && u.IsAdmin && !form.IsAdmin && !confirmed(r) {
		h.confirmSelfDemotion(w, r, u)
		return
	}
	if !form.IsAdmin {
		if last, err := h.lastAdmin(r, u); err != nil {
			h.serverError(w, r, err)
			return
		} else if last {
			h.refuseEdit(w, r, u, http.StatusConflict, lastAdminMessage, &form, map[string]string{"is-admin": lastAdminMessage})
			return
		}
	}
	_, err := h.st.UpdateUser(r.Context(), u.ID, formVersion(r), func(x *store.User) error { apply(x, wa); return nil }, h.metaOf(r))
	if errors.Is(err, store.ErrLastAdmin) { // another admin stepped down meanwhile
		h.renderUser(w, r, http.StatusConflict, u, view{Error: lastAdminMessage}, &form, map[string]string{"is-admin": lastAdminMessage}, nil)
		return
	}
	if errors.Is(err, store.ErrPreconditionFailed) {
		h.refuseEdit(w, r, u, http.StatusConflict, staleMessage, &form, nil)
		return
	}
	if ce := conflictErrors(err, form, ""); ce != nil {
		h.refuseEdit(w, r, u, http.StatusConflict, "Nothing was saved: correct the fields marked below.", &form, ce)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if u.ID == viewerOf(r).user.ID && u.IsAdmin && !form.IsAdmin {
		// The console is closed to them now: show the account page.
		h.redirect(w, r, "/account", flash{Notice: "Changes saved. You are no longer an administrator."})
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=saved", http.StatusSeeOther)
}

// refuseEdit sends a refused edit of u back to the user's page with what
// was typed (see refuseForm).
func (h *Handler) refuseEdit(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string, form *userForm, errs map[string]string) {
	h.refuseForm(w, r, userPath(u.ID), msg, errs, func() {
		h.renderUser(w, r, status, u, view{Error: msg}, form, errs, nil)
	})
}

func (h *Handler) adminSetDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := h.loadUser(w, r)
		if !ok {
			return
		}
		if disabled && !confirmed(r) {
			http.Redirect(w, r, userPath(u.ID)+"/disable", http.StatusSeeOther)
			return
		}
		if disabled {
			if last, err := h.lastAdmin(r, u); err != nil {
				h.serverError(w, r, err)
				return
			} else if last {
				h.redirect(w, r, userPath(u.ID), flash{Error: lastAdminMessage})
				return
			}
		}
		if _, err := h.st.UpdateUser(r.Context(), u.ID, 0, func(x *store.User) error { x.Disabled = disabled; return nil }, h.metaOf(r)); errors.Is(err, store.ErrLastAdmin) {
			h.renderUser(w, r, http.StatusConflict, u, view{Error: lastAdminMessage}, nil, nil, nil)
			return
		} else if err != nil {
			h.serverError(w, r, err)
			return
		}
		// A disabled user's sessions would be refused at their next
		// request anyway; ending them now makes the account page and the
		// audit log say so at once.
		if disabled {
			if _, err := h.auth.DeleteUserSessions(r.Context(), u.ID, nil, h.metaOf(r)); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
		done := "enabled"
		if disabled {
			done = "disabled"
		}
		http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done="+done, http.StatusSeeOther)
	}
}

func (h *Handler) adminDeleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != u.Username {
		h.redirect(w, r, userPath(u.ID)+"#del-h", flash{Error: fmt.Sprintf("To delete this user, type the username %q into the confirmation field.", u.Username)})
		return
	}
	if last, err := h.lastAdmin(r, u); err != nil {
		h.serverError(w, r, err)
		return
	} else if last {
		h.redirect(w, r, userPath(u.ID), flash{Error: lastAdminMessage})
		return
	}
	if err := h.st.DeleteUser(r.Context(), u.ID, 0, h.metaOf(r)); errors.Is(err, store.ErrLastAdmin) {
		h.renderUser(w, r, http.StatusConflict, u, view{Error: lastAdminMessage}, nil, nil, nil)
		return
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users?done=deleted", http.StatusSeeOther)
}

func (h *Handler) adminSetupLink(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	h.issueLinkAndShow(w, r, u, r.PostFormValue("send-email") == "on", "")
}

// issueLinkAndShow makes a setup link for u and shows it on the user's page
// (once: only its hash is kept).
func (h *Handler) issueLinkAndShow(w http.ResponseWriter, r *http.Request, u store.User, email bool, notice string) {
	link, err := h.links.Issue(r.Context(), u, email, h.metaOf(r))
	f := flash{Notice: strings.TrimSpace(notice + " Setup link created; it is shown only this once."),
		LinkUser: u.ID, LinkURL: link.URL, LinkExpires: link.Link.ExpiresAt, LinkEmailed: link.Emailed}
	switch {
	case errors.Is(err, ErrNoMailer):
		h.redirect(w, r, userPath(u.ID), flash{Notice: strings.TrimSpace(notice), Error: "No setup link was created: " + err.Error()})
		return
	case err != nil && link.URL != "":
		f.Error = err.Error() + ". Copy the link below and send it another way."
	case err != nil:
		h.serverError(w, r, err)
		return
	case link.Emailed:
		f.Notice = strings.TrimSpace(notice + " Setup link created and emailed to " + u.Email + ".")
	}
	h.redirect(w, r, userPath(u.ID), f)
}

func (h *Handler) adminRevokePasskeys(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	if !confirmed(r) {
		http.Redirect(w, r, userPath(u.ID)+"/revoke-passkeys", http.StatusSeeOther)
		return
	}
	if _, err := h.auth.DeleteUserPasskeys(r.Context(), u.ID, h.metaOf(r)); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=revoked", http.StatusSeeOther)
}

func (h *Handler) adminUserGroups(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	op := store.MembershipAdd
	if r.PostFormValue("action") == "remove" {
		op = store.MembershipRemove
	}
	gid := r.PostFormValue("group")
	if gid == "" {
		h.redirect(w, r, userPath(u.ID), flash{Error: "Choose a group first."})
		return
	}
	_, err := h.st.ChangeUserGroups(r.Context(), u.ID, 0, op, []string{gid}, h.metaOf(r))
	if errors.Is(err, store.ErrInvalidReference) {
		h.redirect(w, r, userPath(u.ID), flash{Error: "That group no longer exists."})
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID)+"?done=groups", http.StatusSeeOther)
}
