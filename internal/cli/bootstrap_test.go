package cli

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestRevokedBootstrapTokenStaysRevoked (issue 16 item 3): an admin revokes
// the token ROLLCALL_BOOTSTRAP_TOKEN gave; a restart with the variable
// still set does not bring it back, and says loudly which variable to
// remove.
func TestRevokedBootstrapTokenStaysRevoked(t *testing.T) {
	tok := "rc_" + strings.Repeat("R", 43)
	t.Setenv("ROLLCALL_BOOTSTRAP_TOKEN", tok)
	db := filepath.Join(t.TempDir(), "rollcall.db")
	base, stop, _ := startServe(t, "--database", db)
	code, body := serveGet(t, base+"/api/v1/api-tokens", tok)
	if code != http.StatusOK {
		t.Fatalf("list tokens with the bootstrap token: %d %s", code, body)
	}
	var doc struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Data) != 1 {
		t.Fatalf("tokens: %s (%v)", body, err)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/api-tokens/"+doc.Data[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoking the bootstrap token: %d", res.StatusCode)
	}
	stop()

	base, stop, logs := startServe(t, "--database", db)
	defer stop()
	if code, body := serveGet(t, base+"/api/v1/account", tok); code != http.StatusUnauthorized {
		t.Fatalf("the revoked bootstrap token after a restart: %d %s; want 401", code, body)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "ROLLCALL_BOOTSTRAP_TOKEN") {
			line = l
		}
	}
	if !strings.Contains(line, "level=ERROR") || !strings.Contains(line, "revoked") || !strings.Contains(line, "remove") {
		t.Fatalf("start-up with a revoked bootstrap token logged no error naming ROLLCALL_BOOTSTRAP_TOKEN:\n%s", logs)
	}
}
