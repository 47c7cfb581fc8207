package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the REST API, served at
// /api/v1/openapi.json and checked against real responses by the tests.
//
//go:embed openapi.json
var OpenAPI []byte
