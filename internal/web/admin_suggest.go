package web

import (
	"net/http"

	"github.com/rollcall/rollcall/internal/store"
)

// suggestLimit is how many people a suggestion list offers.
const suggestLimit = 10

// userSuggestion is one person offered while an admin types a name.
type userSuggestion struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
}

// adminSuggestUsers answers GET /admin/users/suggest?q=PREFIX with up to
// ten people whose username, email or name starts with the prefix, as
// JSON, for the datalist of the group page's "Add member" field. It is
// same-origin (the console's script fetches it with the session cookie)
// and admins only, like every /admin route.
func (h *Handler) adminSuggestUsers(w http.ResponseWriter, r *http.Request) {
	q := param(r.URL.Query(), "q")
	out := []userSuggestion{}
	if q == "" || len(q) > 100 {
		writeJSON(w, http.StatusOK, out)
		return
	}
	users, _, err := h.st.ListUsers(r.Context(), store.UserFilter{Query: q}, store.Page{Limit: suggestLimit})
	if err != nil {
		h.log.Warn("suggesting users", "error", err)
		writeJSON(w, http.StatusOK, out)
		return
	}
	for _, u := range users {
		out = append(out, userSuggestion{Username: u.Username, Name: displayName(u), Email: u.Email})
	}
	writeJSON(w, http.StatusOK, out)
}
