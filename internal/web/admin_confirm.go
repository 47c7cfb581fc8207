package web

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/rollcall/rollcall/internal/store"
)

// confirmData is a confirmation step before a change that is hard to undo
// or locks someone out: a page of its own with a form, so it works without
// JavaScript and under the CSP (no confirm() dialog).
type confirmData struct {
	User store.User
	// Parent and Back name the page trail and where Cancel goes when the
	// step is not about a user (User empty): the list and the item.
	Parent, ParentURL, Back, BackURL string
	Section                          string // the console section highlighted; users by default
	Heading                          string
	Points                           []string
	Action                           string // the POST that makes the change, sent with confirm=yes
	Button                           string
	Class                            string // button style: warn or danger
	Hidden                           []hiddenField
}

type hiddenField struct{ Name, Value string }

// confirmed reports whether the POST carries the confirmation step's
// confirm=yes.
func confirmed(r *http.Request) bool { return r.PostFormValue("confirm") == "yes" }

func (h *Handler) renderConfirm(w http.ResponseWriter, r *http.Request, d confirmData) {
	if d.User.ID != "" {
		d.Parent, d.ParentURL, d.Back, d.BackURL, d.Section = "Users", "/admin/users", d.User.Username, userPath(d.User.ID), "users"
	}
	h.render(w, r, http.StatusOK, "admin_confirm", view{Title: d.Heading, Section: d.Section, Data: d})
}

// formAsHidden is the POSTed form, confirm aside, as hidden fields, so
// that confirming a step saves exactly what was typed.
func formAsHidden(r *http.Request) []hiddenField {
	var hidden []hiddenField
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != "confirm" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.PostForm[k] {
			hidden = append(hidden, hiddenField{k, v})
		}
	}
	return hidden
}

// adminConfirmDisable asks before disabling a user: they are signed out
// everywhere at once.
func (h *Handler) adminConfirmDisable(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	d := confirmData{User: u, Heading: fmt.Sprintf("Disable %s?", u.Username),
		Points: []string{
			fmt.Sprintf("%s (%s) will not be able to sign in, and is signed out on every device at once.", displayName(u), u.Email),
			"Their passkeys, groups and data stay; enabling the user again restores access.",
		},
		Action: userPath(u.ID) + "/disable", Button: "Disable user", Class: "warn"}
	if u.ID == viewerOf(r).user.ID {
		d.Points = append(d.Points, "This is your own account: you will be signed out at once and cannot sign in again until another administrator enables you.")
	}
	h.renderConfirm(w, r, d)
}

// adminConfirmRevokePasskeys asks before removing all of a user's
// passkeys: they cannot sign in until they get a new setup link.
func (h *Handler) adminConfirmRevokePasskeys(w http.ResponseWriter, r *http.Request) {
	u, ok := h.loadUser(w, r)
	if !ok {
		return
	}
	d := confirmData{User: u, Heading: fmt.Sprintf("Revoke all passkeys of %s?", u.Username),
		Points: []string{
			fmt.Sprintf("All %d passkey(s) of %s are removed and all of their sessions end.", u.PasskeyCount, displayName(u)),
			"They cannot sign in again until they register a new passkey from a setup link.",
		},
		Action: userPath(u.ID) + "/revoke-passkeys", Button: "Revoke all passkeys", Class: "danger"}
	if u.ID == viewerOf(r).user.ID {
		d.Points = append(d.Points, "This is your own account: you will be signed out of this browser too.")
	}
	h.renderConfirm(w, r, d)
}

// confirmSelfDemotion shows the step before an admin saves their own user
// without the Administrator flag: they would lose the console at once. The
// form's values travel on as hidden fields, so confirming saves exactly
// what was typed.
func (h *Handler) confirmSelfDemotion(w http.ResponseWriter, r *http.Request, u store.User) {
	hidden := formAsHidden(r)
	h.renderConfirm(w, r, confirmData{User: u, Heading: "Remove your own administrator rights?",
		Points: []string{
			"You are saving your own account without the Administrator flag.",
			"As soon as you save, you can no longer open the admin console (Users, Groups, Audit log), and only another administrator can give the rights back.",
		},
		Action: userPath(u.ID), Button: "Remove my administrator rights", Class: "danger", Hidden: hidden})
}
