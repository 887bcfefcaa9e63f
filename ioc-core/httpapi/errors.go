package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is an error that knows its HTTP status and the code and message a client sees. Every
// error answer of the API has the shape {"error":{"code","message","fields"}}.
type Error struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields,omitempty"`
	RetryAfter time.Duration     `json:"-"`
	Err        error             `json:"-"` // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 for input that cannot be read.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "bad_request", format, args...)
}

// Invalid is a 422 for input that was read but breaks a rule; fields names each bad field.
func Invalid(fields map[string]string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: "some fields are not valid", Fields: fields}
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "not_found", format, args...)
}

// Conflict is a 409, for a stale version or a state that does not allow the action.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, "conflict", format, args...)
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return Errorf(http.StatusForbidden, "forbidden", format, args...)
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return Errorf(http.StatusUnauthorized, "unauthorized", format, args...)
}

// LoadingRetry is the Retry-After of a Loading answer.
const LoadingRetry = 5 * time.Second

// Loading is a 503 (code "loading", with Retry-After) for a request that needs data the node
// is still loading at start, such as an in-memory index; what names the data in the message.
func Loading(what string) *Error {
	e := Errorf(http.StatusServiceUnavailable, "loading", "the server has just started and is still loading %s; try again in a few seconds", what)
	e.RetryAfter = LoadingRetry
	return e
}

// TooManyRequests is a 429 that tells the client when to try again.
func TooManyRequests(after time.Duration) *Error {
	e := Errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; try again in %d seconds", int(after.Seconds()+0.999))
	e.RetryAfter = after
	return e
}

// asError turns any error into the Error to answer with; unknown errors become a 500 whose
// message says nothing of the cause.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; the request id identifies it in the logs", Err: err}
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	WriteJSON(w, e.Status, map[string]*Error{"error": e})
}
