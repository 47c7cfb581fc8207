package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rollcall/rollcall/api"
	"github.com/rollcall/rollcall/internal/testserver"
)

// TestOpenAPIServedAndValid checks the description is served as committed
// and is a valid OpenAPI 3.1 document (openAPIValidator validates it).
func TestOpenAPIServedAndValid(t *testing.T) {
	if _, err := openAPIValidator(); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t)
	r := call(t, srv, req{method: "GET", path: "/api/v1/openapi.json"})
	mustStatus(t, r, 200)
	if !bytes.Equal(r.Body, api.OpenAPI) {
		t.Fatal("served description differs from api/openapi.json")
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, err %v", doc.OpenAPI, err)
	}
	for _, p := range []string{"/api/v1/users", "/api/v1/users/{id}", "/api/v1/users/{id}/relationships/groups", "/api/v1/groups",
		"/api/v1/groups/{id}", "/api/v1/groups/{id}/relationships/members", "/api/v1/api-tokens", "/api/v1/api-tokens/{id}",
		"/api/v1/audit-events", "/api/v1/account", "/api/v1/openapi.json", "/api/v1/operations", "/api/v1/users/{id}/setup-links",
		"/api/v1/users/{id}/sessions", "/healthz", "/readyz", "/metrics"} {
		if doc.Paths[p] == nil {
			t.Errorf("path %s is not described", p)
		}
	}
}

// TestOpenAPIValidatorCatchesDrift makes sure the check every exchange
// goes through would notice a response that departs from the description.
func TestOpenAPIValidatorCatchesDrift(t *testing.T) {
	v, err := openAPIValidator()
	if err != nil {
		t.Fatal(err)
	}
	rq, _ := http.NewRequest("GET", "/api/v1/account", nil)
	rq.Header.Set("Authorization", "Bearer rc_x")
	for _, body := range []string{
		`{"data":{"type":"users","id":"x"}}`,
		`{"data":{"type":"users","id":"2f1e6a52-7c1d-4e53-9b5c-0c8d3f0e4a71","attributes":{"username":5},"relationships":{"groups":{"data":[]}}}}`,
		`{"errors":[{"code":"x"}]}`,
	} {
		res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {api.MediaType}}, Body: io.NopCloser(strings.NewReader(body)), Request: rq}
		if ok, _ := v.ValidateHttpResponse(rq, res); ok {
			t.Errorf("a wrong response passed validation: %s", body)
		}
	}
}
