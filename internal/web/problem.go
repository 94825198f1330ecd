// Package web holds the HTTP plumbing every feature package shares: the Fiber
// application with its RFC 9457 error handler, request IDs, logging, metrics,
// authentication middleware, request binding and keyset pagination.
package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string          `json:"type"`
	Title    string          `json:"title"`
	Status   int             `json:"status"`
	Detail   string          `json:"detail,omitempty"`
	Instance string          `json:"instance,omitempty"`
	Errors   []cc.FieldError `json:"errors,omitempty"`
}

// codeStatus is the single table from application error codes to HTTP statuses.
var codeStatus = map[string]int{
	cc.EINVALID:        http.StatusUnprocessableEntity,
	cc.EBADREQUEST:     http.StatusBadRequest,
	cc.EUNAUTHORIZED:   http.StatusUnauthorized,
	cc.EFORBIDDEN:      http.StatusForbidden,
	cc.ENOTFOUND:       http.StatusNotFound,
	cc.ECONFLICT:       http.StatusConflict,
	cc.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	cc.EHEADERTOOLARGE: http.StatusRequestHeaderFieldsTooLarge,
	cc.EUNSUPPORTED:    http.StatusUnsupportedMediaType,
	cc.ERATELIMITED:    http.StatusTooManyRequests,
	cc.EUNAVAILABLE:    http.StatusServiceUnavailable,
	cc.ENOTACCEPTABLE:  http.StatusNotAcceptable,
	cc.EMETHODNOTALLOW: http.StatusMethodNotAllowed,
	cc.EINTERNAL:       http.StatusInternalServerError,
}

// statusCode maps Fiber's own errors (unknown route, body limit…) to codes.
var statusCode = map[int]string{
	http.StatusNotFound:                    cc.ENOTFOUND,
	http.StatusMethodNotAllowed:            cc.EMETHODNOTALLOW,
	http.StatusRequestEntityTooLarge:       cc.ETOOLARGE,
	http.StatusRequestHeaderFieldsTooLarge: cc.EHEADERTOOLARGE,
	http.StatusUnsupportedMediaType:        cc.EUNSUPPORTED,
	http.StatusBadRequest:                  cc.EBADREQUEST,
	http.StatusUnauthorized:                cc.EUNAUTHORIZED,
	http.StatusForbidden:                   cc.EFORBIDDEN,
	http.StatusTooManyRequests:             cc.ERATELIMITED,
	http.StatusServiceUnavailable:          cc.EUNAVAILABLE,
	http.StatusRequestTimeout:              cc.EUNAVAILABLE,
}

// ErrorHandler returns the Fiber error handler: every error becomes a
// problem+json response; internal errors are logged and never shown.
func ErrorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		appErr := toAppError(err)
		if appErr.Code == cc.EINTERNAL && dependencyDown(c, err) {
			appErr = errUnavailable
		}
		status := codeStatus[appErr.Code]
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			logger.Error("request failed", "error", err.Error(), "path", c.Path(), "request_id", RequestID(c))
		}
		if appErr.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(appErr.RetryAfter))
		}
		if c.Method() == fiber.MethodOptions || c.Method() == fiber.MethodHead {
			return c.SendStatus(status)
		}
		p := Problem{
			Type:     "https://cybercampus.org/problems/" + appErr.Code,
			Title:    http.StatusText(status),
			Status:   status,
			Detail:   cc.ErrorMessage(appErr),
			Instance: c.OriginalURL(),
			Errors:   appErr.Fields,
		}
		c.Status(status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(p, "application/problem+json")
	}
}

func toAppError(err error) *cc.Error {
	var appErr *cc.Error
	if errors.As(err, &appErr) {
		return appErr
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := statusCode[fe.Code]
		if !ok {
			code = cc.EINTERNAL
		}
		return &cc.Error{Code: code, Message: fiberMessage(fe)}
	}
	return &cc.Error{Code: cc.EINTERNAL, Message: err.Error()}
}

// errUnavailable answers a request that failed because a dependency is down
// or too slow: a 503 the client may retry shortly, not a 500.
var errUnavailable = &cc.Error{Code: cc.EUNAVAILABLE, RetryAfter: 1,
	Message: "The service is briefly unavailable; please try again."}

// dependencyDown reports an error that comes from a dependency rather than a
// defect: a refused or lost connection, a database shutting down, starting
// up or out of connections, or the request's deadline passing while it
// waited (SQLSTATE is read through an interface so that this package needs
// no database driver).
func dependencyDown(c *fiber.Ctx, err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(c.UserContext().Err(), context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se interface{ SQLState() string }
	if errors.As(err, &se) {
		switch state := se.SQLState(); {
		case strings.HasPrefix(state, "08"), // connection exception
			state == "57P01", state == "57P02", state == "57P03", // admin or crash shutdown, cannot connect now
			state == "53300": // too many connections
			return true
		}
	}
	return false
}

func fiberMessage(fe *fiber.Error) string {
	switch fe.Code {
	case http.StatusNotFound:
		return "No such resource."
	case http.StatusMethodNotAllowed:
		return "This method is not allowed on this resource."
	case http.StatusRequestEntityTooLarge:
		return "The request body is too large."
	case http.StatusRequestHeaderFieldsTooLarge:
		return "The request line or headers are too large."
	case http.StatusRequestTimeout:
		return "The request took too long."
	}
	return http.StatusText(fe.Code) + "."
}
