// Package jobqueue is the Go client of the JobQueue HTTP API: every route of the gateway as a typed method, a
// cursor iterator over jobs, webhook signature verification, and a Worker that runs jobs of your own types over
// the remote-worker lease protocol.
//
//	c := jobqueue.New("http://localhost:8080", jobqueue.WithAPIKey(os.Getenv("JOBQUEUE_API_KEY")))
//	job, err := c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "email.send", Payload: map[string]any{"to": "ada@example.com"}})
//
// Every method takes a context first and returns an *APIError (with the API's message and HTTP status) when the
// server refused the request.
package jobqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is safe for concurrent use by many goroutines.
type Client struct {
	baseURL    string
	apiKey     string
	token      string
	httpClient *http.Client
	maxRetries int
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with X-API-Key (an account key qly_…, the static API_KEY or the ADMIN_KEY).
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithToken authenticates every request with Authorization: Bearer (a login token from Register or Login).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the default *http.Client (30 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithMaxRetries sets how many times a request is retried after a 429 (any request), or after a 503 or a transport
// error (idempotent requests only); 0 turns retries off. The default is 3.
func WithMaxRetries(n int) Option { return func(c *Client) { c.maxRetries = n } }

// New returns a client of the JobQueue gateway at baseURL (e.g. "http://localhost:8080").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: &http.Client{Timeout: 30 * time.Second},
		maxRetries: 3,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// envelope is the shape of every answer but /health and /result.
type envelope struct {
	Data  json.RawMessage `json:"data"`
	Error *string         `json:"error"`
	Meta  pageMeta        `json:"meta"`
}

type pageMeta struct {
	RequestID  string `json:"request_id"`
	TotalCount int64  `json:"total_count"`
	Limit      int    `json:"limit"`
	Offset     int    `json:"offset"`
	HasMore    bool   `json:"has_more"`
}

// call describes one request; idempotent ones may be repeated after a 503 or a transport error, because sending
// them twice does no more than sending them once.
type call struct {
	method     string
	path       string
	query      url.Values
	body       any
	idempotent bool
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send performs the call with retries and returns the answer of any status below 400; a status of 400 or more
// becomes an *APIError.
func (c *Client) send(ctx context.Context, k call) (*answer, error) {
	var payload []byte
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, fmt.Errorf("jobqueue: encode request: %w", err)
		}
		payload = b
	}
	target := c.baseURL + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		a, err := c.once(ctx, k.method, target, payload)
		if err == nil && a.status < 400 {
			return a, nil
		}
		var apiErr *APIError
		if err == nil {
			apiErr = errorFrom(a)
			err = apiErr
		}
		if attempt >= c.maxRetries || !retryable(ctx, k, apiErr, err) {
			return nil, err
		}
		wait := backoff(attempt)
		if apiErr != nil && apiErr.RetryAfter > 0 {
			wait = apiErr.RetryAfter
		}
		if sleepErr := sleep(ctx, wait); sleepErr != nil {
			return nil, err
		}
	}
}

func (c *Client) once(ctx context.Context, method, target string, payload []byte) (*answer, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("jobqueue: %w", err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jobqueue-go/1.0")
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jobqueue: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("jobqueue: %s %s: reading the answer: %w", method, req.URL.Path, err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// retryable: a 429 was refused before any work was done, so every call may be repeated; a 503 or a broken
// connection may have happened after the server acted, so only calls that are safe to repeat are.
func retryable(ctx context.Context, k call, apiErr *APIError, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if apiErr != nil {
		return apiErr.Status == http.StatusTooManyRequests || (apiErr.Status == http.StatusServiceUnavailable && k.idempotent)
	}
	return k.idempotent && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// backoff doubles from 250 ms with ±20 % jitter, so clients refused together do not come back together.
func backoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << attempt
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do sends the call and decodes the envelope's data into out (when out is not nil); it returns the envelope's meta.
func (c *Client) do(ctx context.Context, k call, out any) (pageMeta, error) {
	a, err := c.send(ctx, k)
	if err != nil {
		return pageMeta{}, err
	}
	var env envelope
	if err := json.Unmarshal(a.body, &env); err != nil {
		return pageMeta{}, fmt.Errorf("jobqueue: %s %s: answer %d is not the JSON envelope: %w", k.method, k.path, a.status, err)
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return env.Meta, fmt.Errorf("jobqueue: %s %s: decoding data: %w", k.method, k.path, err)
		}
	}
	return env.Meta, nil
}

func get(path string, query url.Values) call {
	return call{method: http.MethodGet, path: path, query: query, idempotent: true}
}

func post(path string, body any) call {
	return call{method: http.MethodPost, path: path, body: body}
}

func patch(path string, body any) call {
	return call{method: http.MethodPatch, path: path, body: body, idempotent: true}
}

func del(path string, query url.Values) call {
	return call{method: http.MethodDelete, path: path, query: query, idempotent: true}
}

// seg escapes one path segment, so an id cannot change the route.
func seg(s string) string { return url.PathEscape(s) }

func pageQuery(limit, offset int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q
}
