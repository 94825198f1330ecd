package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
)

// Validator is a request type that checks itself, reporting every bad field.
type Validator interface {
	Validate() error
}

// MediaType returns the request's media type without parameters, lower-cased.
func MediaType(c *fiber.Ctx) string {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// RequireJSON answers 415 unless the request body is JSON.
func RequireJSON(c *fiber.Ctx) error {
	if mt := MediaType(c); mt != fiber.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json") {
		return cc.Errorf(cc.EUNSUPPORTED, "The body must be JSON (Content-Type: application/json).")
	}
	return nil
}

// Bind decodes a JSON body into v strictly (unknown fields are rejected, so a
// client cannot slip in fields such as roles) and validates it when v is a
// Validator. Malformed bodies are 400, invalid values 422.
func Bind(c *fiber.Ctx, v any) error {
	if err := RequireJSON(c); err != nil {
		return err
	}
	if err := DecodeJSON(c.Body(), v); err != nil {
		return err
	}
	if val, ok := v.(Validator); ok {
		return val.Validate()
	}
	return nil
}

// DecodeJSON strictly decodes one JSON value from body into v.
func DecodeJSON(body []byte, v any) error {
	if err := CheckText(body); err != nil {
		return err
	}
	if string(bytes.TrimSpace(body)) == "null" { // would decode as an empty request
		return cc.Errorf(cc.EBADREQUEST, "The body must be a JSON object, not null.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return cc.Errorf(cc.EBADREQUEST, "The body must hold a single JSON value.")
	}
	return nil
}

// CheckText rejects bodies that are not valid UTF-8 or that carry NUL
// characters, which no text field can store.
func CheckText(body []byte) error {
	if !utf8.Valid(body) {
		return cc.Errorf(cc.EBADREQUEST, "The body is not valid UTF-8.")
	}
	// JSON's escape is always a lower-case \u and 0000 has no letters, so no
	// case folding (and no copy of the body) is needed.
	if bytes.IndexByte(body, 0) >= 0 || bytes.Contains(body, []byte(`\u0000`)) {
		return cc.Errorf(cc.EBADREQUEST, "The body contains a NUL character.")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return cc.Errorf(cc.EBADREQUEST, "The body is empty.")
	case errors.As(err, &syn):
		return cc.Errorf(cc.EBADREQUEST, "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return cc.FieldErr(cc.EINVALID, "The request has invalid fields.", field, fmt.Sprintf("must be a JSON %s", jsonKind(typ.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return cc.FieldErr(cc.EINVALID, "The request has invalid fields.", name, "is not a field of this request or may not be set")
	}
	return cc.Errorf(cc.EBADREQUEST, "The body is not valid JSON.")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}
