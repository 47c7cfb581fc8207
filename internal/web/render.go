package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall/rollcall/internal/store"
)

// pageNames are the templates in templates/, each rendered inside
// layout.html.
var pageNames = []string{
	"status", "signin", "setup", "account", "consent", "device", "logout", "formpost", "admin_clients", "admin_client",
	"admin_users", "admin_user", "admin_user_new", "admin_groups", "admin_group", "admin_audit",
	"admin_confirm",
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2 Jan 2006 15:04 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "never"
			}
			return v.UTC().Format("2 Jan 2006 15:04 UTC")
		}
		return ""
	},
	"isoTime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"day":         func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"displayName": displayName,
	"status":      userStatus,
	"initials": func(u store.User) string {
		n := displayName(u)
		var b strings.Builder
		for _, f := range strings.Fields(n) {
			for _, r := range f {
				b.WriteRune(r)
				break
			}
			if b.Len() >= 2 {
				break
			}
		}
		return strings.ToUpper(b.String())
	},
	"field": func(name, label, value string, errs map[string]string, required bool, typ, auto string) formField {
		return formField{Name: name, Label: label, Value: value, Err: errs[name], Required: required, Type: typ, Auto: auto}
	},
	"thousands": thousands,
	"orDash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

// formField is one labelled input of a form, with its error.
type formField struct {
	Name, Label, Value, Err string
	Required                bool
	Type, Auto              string
}

func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Username
}

// userStatus is the API's status attribute: disabled, pending-setup (no
// passkey yet) or active.
func userStatus(u store.User) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.PasskeyCount == 0:
		return "pending-setup"
	}
	return "active"
}

func (h *Handler) parseTemplates() error {
	h.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return nil
}

// view is what every template gets: the page's own data in Data and the
// layout's needs beside it.
type view struct {
	Title   string
	Section string // highlights the navigation entry: account, users, groups, audit
	Viewer  *store.User
	Notice  string
	Error   string
	Data    any
}

// render writes a whole page. It renders into a buffer first so a template
// error becomes a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	if vw := viewerOf(r); vw != nil && v.Viewer == nil {
		u := vw.user
		v.Viewer = &u
	}
	var buf bytes.Buffer
	if err := h.pages[page].Execute(&buf, v); err != nil {
		h.log.Error("rendering page", "page", page, "error", err)
		http.Error(w, "The page could not be rendered; the error is in the server log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// statusData is the content of the generic message page.
type statusData struct {
	Heading string
	Message string
	Action  string // optional link target
	Label   string
}

// renderStatus shows a page with one heading and one message: refusals,
// errors, expired links.
func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	h.render(w, r, status, "status", view{Title: heading, Data: statusData{Heading: heading, Message: message}})
}

func (h *Handler) renderStatusAction(w http.ResponseWriter, r *http.Request, status int, d statusData) {
	h.render(w, r, status, "status", view{Title: d.Heading, Data: d})
}

// thousands writes n with commas between groups of three digits: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
