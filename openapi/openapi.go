// Package openapi embeds the OpenAPI 3 document of the CyberCampus API, served
// at /openapi.yaml and checked against the registered routes in tests.
package openapi

import _ "embed"

// Document is the OpenAPI document.
//
//go:embed openapi.yaml
var Document []byte
