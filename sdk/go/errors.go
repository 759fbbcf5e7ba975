package jobqueue

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is a request the server refused: its HTTP status, the API's message (the envelope's "error"), the
// request id to quote to an operator, and for a 429 or 503 how long the server asked to wait.
type APIError struct {
	Status     int
	Message    string
	RequestID  string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.RequestID == "" {
		return fmt.Sprintf("jobqueue: %d %s", e.Status, e.Message)
	}
	return fmt.Sprintf("jobqueue: %d %s (request %s)", e.Status, e.Message, e.RequestID)
}

// errorFrom reads a refused answer: the envelope when there is one, else the status text and the start of the body
// (a proxy in front of the gateway may answer in plain text).
func errorFrom(a *answer) *APIError {
	e := &APIError{Status: a.status}
	var env envelope
	if json.Unmarshal(a.body, &env) == nil && env.Error != nil {
		e.Message = *env.Error
		e.RequestID = env.Meta.RequestID
	} else {
		text := strings.TrimSpace(string(a.body))
		if len(text) > 200 {
			text = text[:200]
		}
		e.Message = strings.TrimSpace(http.StatusText(a.status) + " " + text)
	}
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// StatusOf is the HTTP status of the *APIError in err's chain, or 0 when err is not one (a transport error, a
// cancelled context).
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound: the thing does not exist, or belongs to another tenant (404).
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict: the thing is in a state that refuses the request, e.g. retrying a completed job or a lease that
// another worker now holds (409).
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// IsUnauthorized: no key, or a wrong, deleted or expired one (401).
func IsUnauthorized(err error) bool { return StatusOf(err) == http.StatusUnauthorized }

// IsForbidden: the credentials are valid but may not do this, e.g. the static API_KEY asking for account keys (403).
func IsForbidden(err error) bool { return StatusOf(err) == http.StatusForbidden }

// IsInvalid: the request was malformed (400) or broke a rule (422); the message names the field.
func IsInvalid(err error) bool {
	s := StatusOf(err)
	return s == http.StatusBadRequest || s == http.StatusUnprocessableEntity
}

// IsRateLimited: still refused with 429 after the client's retries (a rate limit or the monthly job limit).
func IsRateLimited(err error) bool { return StatusOf(err) == http.StatusTooManyRequests }
