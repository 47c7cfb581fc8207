package scim

import (
	"net/http"
	"strings"
)

// The discovery endpoints (RFC 7644 §4) describe what this server really
// does: the attributes it keeps, PATCH yes, bulk and password change no,
// filters with up to maxCount results, ETags.

const (
	spcSchema          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{spcSchema},
		"documentationUri": "https://github.com/rollcall/rollcall/blob/main/docs/scim.md",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A Rollcall API token with scope scim: rollcall tokens create --scope scim",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.base + "/ServiceProviderConfig"},
	})
}

func (h *Handler) resourceTypeList() []map[string]any {
	return []map[string]any{
		{
			"schemas": []string{resourceTypeSchema}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "A person or service account", "schema": userSchema,
			"schemaExtensions": []any{map[string]any{"schema": enterpriseSchema, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": h.base + "/ResourceTypes/User"},
		},
		{
			"schemas": []string{resourceTypeSchema}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A group of users", "schema": groupSchema,
			"meta": map[string]any{"resourceType": "ResourceType", "location": h.base + "/ResourceTypes/Group"},
		},
	}
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request) {
	var res []any
	for _, t := range h.resourceTypeList() {
		res = append(res, t)
	}
	writeJSON(w, http.StatusOK, listResponse(len(res), 1, res))
}

func (h *Handler) resourceType(w http.ResponseWriter, r *http.Request) {
	for _, t := range h.resourceTypeList() {
		if strings.EqualFold(t["id"].(string), r.PathValue("name")) {
			writeJSON(w, http.StatusOK, t)
			return
		}
	}
	WriteError(w, errf(http.StatusNotFound, "", "no resource type "+r.PathValue("name")+"; there are User and Group"))
}

// attr describes one attribute for /Schemas.
func attr(name, typ string, opts ...func(map[string]any)) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": false, "required": false, "caseExact": false,
		"mutability": "readWrite", "returned": "default", "uniqueness": "none", "description": name}
	for _, o := range opts {
		o(a)
	}
	return a
}

func set(k string, v any) func(map[string]any) { return func(a map[string]any) { a[k] = v } }

func subs(s ...map[string]any) func(map[string]any) {
	return func(a map[string]any) { a["subAttributes"] = s }
}

var multi = set("multiValued", true)

func (h *Handler) schemaList() []map[string]any {
	meta := func(id string) map[string]any {
		return map[string]any{"resourceType": "Schema", "location": h.base + "/Schemas/" + id}
	}
	return []map[string]any{
		{
			"schemas": []string{schemaSchema}, "id": userSchema, "name": "User", "description": "User Account",
			"attributes": []any{
				attr("id", "string", set("mutability", "readOnly"), set("returned", "always"), set("uniqueness", "server"), set("caseExact", true)),
				attr("externalId", "string", set("caseExact", true)),
				attr("userName", "string", set("required", true), set("uniqueness", "server"),
					set("description", "Unique; lower-cased, 1–64 of a-z 0-9 . _ @ -")),
				attr("name", "complex", subs(attr("formatted", "string"), attr("familyName", "string"), attr("givenName", "string"))),
				attr("displayName", "string"),
				attr("title", "string"),
				attr("preferredLanguage", "string"),
				attr("locale", "string"),
				attr("active", "boolean"),
				attr("emails", "complex", multi, set("required", true), set("description", "One address is kept: the primary one, else the work one"),
					subs(attr("value", "string"), attr("type", "string", set("canonicalValues", []string{"work"})), attr("primary", "boolean"))),
				attr("phoneNumbers", "complex", multi,
					subs(attr("value", "string"), attr("type", "string", set("canonicalValues", []string{"work", "mobile"})))),
				attr("groups", "complex", multi, set("mutability", "readOnly"),
					subs(attr("value", "string", set("mutability", "readOnly")), attr("$ref", "reference", set("mutability", "readOnly"), set("referenceTypes", []string{"Group"})),
						attr("display", "string", set("mutability", "readOnly")), attr("type", "string", set("mutability", "readOnly")))),
			},
			"meta": meta(userSchema),
		},
		{
			"schemas": []string{schemaSchema}, "id": enterpriseSchema, "name": "EnterpriseUser", "description": "Enterprise User",
			"attributes": []any{
				attr("employeeNumber", "string"), attr("costCenter", "string"), attr("organization", "string"),
				attr("division", "string"), attr("department", "string"),
				attr("manager", "complex", subs(attr("value", "string"), attr("$ref", "reference", set("referenceTypes", []string{"User"})))),
			},
			"meta": meta(enterpriseSchema),
		},
		{
			"schemas": []string{schemaSchema}, "id": groupSchema, "name": "Group", "description": "Group",
			"attributes": []any{
				attr("id", "string", set("mutability", "readOnly"), set("returned", "always"), set("uniqueness", "server"), set("caseExact", true)),
				attr("externalId", "string", set("caseExact", true)),
				attr("displayName", "string", set("required", true)),
				attr("members", "complex", multi,
					subs(attr("value", "string", set("mutability", "immutable")), attr("$ref", "reference", set("mutability", "immutable"), set("referenceTypes", []string{"User"})),
						attr("display", "string", set("mutability", "readOnly")), attr("type", "string", set("mutability", "immutable")))),
			},
			"meta": meta(groupSchema),
		},
	}
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request) {
	var res []any
	for _, s := range h.schemaList() {
		res = append(res, s)
	}
	writeJSON(w, http.StatusOK, listResponse(len(res), 1, res))
}

func (h *Handler) schema(w http.ResponseWriter, r *http.Request) {
	for _, s := range h.schemaList() {
		if s["id"] == r.PathValue("id") {
			writeJSON(w, http.StatusOK, s)
			return
		}
	}
	WriteError(w, errf(http.StatusNotFound, "", "no schema "+r.PathValue("id")))
}
