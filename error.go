// Package cybercampus holds the domain vocabulary shared by every feature
// package: the application error type with its codes, and user roles.
package cybercampus

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in the web package.
const (
	EINVALID        = "invalid"          // well-formed but invalid input (422)
	EBADREQUEST     = "bad_request"      // malformed body or query (400)
	EUNAUTHORIZED   = "unauthorized"     // missing, invalid or expired credentials (401)
	EFORBIDDEN      = "forbidden"        // authenticated but not allowed (403)
	ENOTFOUND       = "not_found"        // unknown, or not visible to the caller (404)
	ECONFLICT       = "conflict"         // state conflict, e.g. duplicate (409)
	ETOOLARGE       = "too_large"        // body too large (413)
	EHEADERTOOLARGE = "header_too_large" // request line or headers too large (431)
	EUNSUPPORTED    = "unsupported"      // wrong content type (415)
	ERATELIMITED    = "rate_limited"     // too many requests (429)
	EUNAVAILABLE    = "unavailable"      // a dependency is down (503)
	EINTERNAL       = "internal"         // anything else (500); its text is never shown
	ENOTACCEPTABLE  = "not_acceptable"   // no representation matches Accept (406)
	EMETHODNOTALLOW = "method_not_allowed"
)

// FieldError names one invalid field of a request and why it is invalid.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the application error: a code, a message safe to show to clients,
// and, for validation failures, every bad field.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter is the number of seconds a rate-limited client should wait.
	RetryAfter int
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("cybercampus error: code=%s message=%s fields=%v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("cybercampus error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an Error with the given code and a formatted, client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErr is an error about one field: code (EINVALID or EBADREQUEST), the
// message for the client, and what is wrong with field.
func FieldErr(code, message, field, problem string) *Error {
	return &Error{Code: code, Message: message, Fields: []FieldError{{Field: field, Message: problem}}}
}

// ErrorCode returns the code of err, EINTERNAL when err is not an *Error, and ""
// for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err; internal errors get a
// generic message so that their text never reaches a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error."
}

// Validation collects field errors so that a request reports every bad field at once.
type Validation struct {
	Fields []FieldError
}

// Add records that field is invalid.
func (v *Validation) Add(field, format string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records the failure when ok is false.
func (v *Validation) Check(ok bool, field, format string, args ...any) {
	if !ok {
		v.Add(field, format, args...)
	}
}

// Err returns a 422 Error listing every recorded field, or nil if there is none.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The request has invalid fields.", Fields: v.Fields}
}

// TooMany is the rate-limit error: msg, with Retry-After the whole seconds
// until the limit lets the caller through again.
func TooMany(after time.Duration, msg string) error {
	return &Error{Code: ERATELIMITED, Message: msg, RetryAfter: int((after + time.Second - 1) / time.Second)}
}
