package jobqueue

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Enqueue stores one job and returns it (201 means it is committed).
func (c *Client) Enqueue(ctx context.Context, req EnqueueRequest) (*Job, error) {
	var job Job
	if _, err := c.do(ctx, post("/api/v1/jobs", req), &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// EnqueueBatch stores 1–500 jobs in one transaction: one invalid request ("job[i]: …") refuses them all.
func (c *Client) EnqueueBatch(ctx context.Context, reqs []EnqueueRequest) ([]*Job, error) {
	var jobs []*Job
	if _, err := c.do(ctx, post("/api/v1/jobs/batch", reqs), &jobs); err != nil {
		return nil, err
	}
	return jobs, nil
}

// GetJob returns one job (404 for an unknown job or another tenant's, 400 for an id that is not a UUID).
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	var job Job
	if _, err := c.do(ctx, get("/api/v1/jobs/"+seg(id), nil), &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// ListJobs returns one page of the caller's jobs, newest first, with the total count.
func (c *Client) ListJobs(ctx context.Context, p ListJobsParams) (Page[*Job], error) {
	q := filterQuery(p.Status, p.Type, p.Queue, p.Tags)
	for k, v := range pageQuery(p.Limit, p.Offset) {
		q[k] = v
	}
	var jobs []*Job
	meta, err := c.do(ctx, get("/api/v1/jobs", q), &jobs)
	if err != nil {
		return Page[*Job]{}, err
	}
	return Page[*Job]{Items: jobs, TotalCount: meta.TotalCount, Limit: meta.Limit, Offset: meta.Offset, HasMore: meta.HasMore}, nil
}

// ListJobsCursor returns the page after cursor ("" for the first) of a keyset listing, newest first: pages neither
// repeat nor skip jobs while others are enqueued. Client.Jobs iterates over every page.
func (c *Client) ListJobsCursor(ctx context.Context, f JobFilter, cursor string) (*JobCursorPage, error) {
	q := filterQuery(f.Status, f.Type, f.Queue, f.Tags)
	if f.PageSize > 0 {
		q.Set("limit", strconv.Itoa(f.PageSize))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var page JobCursorPage
	if _, err := c.do(ctx, get("/api/v1/jobs/cursor", q), &page); err != nil {
		return nil, err
	}
	return &page, nil
}

func filterQuery(status, typ, queue string, tags map[string]string) url.Values {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if typ != "" {
		q.Set("type", typ)
	}
	if queue != "" {
		q.Set("queue", queue)
	}
	if len(tags) > 0 {
		pairs := make([]string, 0, len(tags))
		for k, v := range tags {
			pairs = append(pairs, k+":"+v)
		}
		sort.Strings(pairs) // the same filter gives the same URL
		q.Set("tags", strings.Join(pairs, ","))
	}
	return q
}

// CancelJob cancels a job: a waiting one at once (Status "cancelled"); a running one is asked to stop
// (CancelRequested, and it ends "cancelled"). A job that has ended answers 409.
func (c *Client) CancelJob(ctx context.Context, id string) (*CancelResult, error) {
	var r CancelResult
	if _, err := c.do(ctx, del("/api/v1/jobs/"+seg(id), nil), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// RetryJob starts a failed or dead job over (409 for any other status).
func (c *Client) RetryJob(ctx context.Context, id string) (*Job, error) {
	var job Job
	if _, err := c.do(ctx, post("/api/v1/jobs/"+seg(id)+"/retry", nil), &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// GetJobResult returns the JSON the handler stored, or nil while there is none (204).
func (c *Client) GetJobResult(ctx context.Context, id string) (json.RawMessage, error) {
	a, err := c.send(ctx, get("/api/v1/jobs/"+seg(id)+"/result", nil))
	if err != nil {
		return nil, err
	}
	if a.status == http.StatusNoContent || len(a.body) == 0 {
		return nil, nil
	}
	return json.RawMessage(a.body), nil
}

// GetJobAttempts returns every attempt of a job, oldest first.
func (c *Client) GetJobAttempts(ctx context.Context, id string) ([]JobAttempt, error) {
	var list struct {
		Items []JobAttempt `json:"items"`
	}
	if _, err := c.do(ctx, get("/api/v1/jobs/"+seg(id)+"/attempts", nil), &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// PurgeJobs deletes the caller's ended jobs that ended before the given time and returns how many.
func (c *Client) PurgeJobs(ctx context.Context, before time.Time) (int64, error) {
	var r struct {
		Deleted int64 `json:"deleted"`
	}
	q := url.Values{"before": {before.UTC().Format(time.RFC3339Nano)}}
	if _, err := c.do(ctx, del("/api/v1/jobs", q), &r); err != nil {
		return 0, err
	}
	return r.Deleted, nil
}

// GetStats returns the caller's counts by status and queue.
func (c *Client) GetStats(ctx context.Context) (*Stats, error) {
	var s Stats
	if _, err := c.do(ctx, get("/api/v1/stats", nil), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ListWorkers returns the built-in workers and the caller's remote workers; activeOnly false includes stopped ones.
func (c *Client) ListWorkers(ctx context.Context, activeOnly bool) ([]*WorkerInfo, error) {
	var ws []*WorkerInfo
	q := url.Values{"active_only": {strconv.FormatBool(activeOnly)}}
	if _, err := c.do(ctx, get("/api/v1/workers", q), &ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// Health returns the system's health. A degraded system answers 503: then both the Health (which check failed)
// and an *APIError are returned.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	a, err := c.once(ctx, http.MethodGet, c.baseURL+"/health", nil)
	if err != nil {
		return nil, err
	}
	var h Health
	decodeErr := json.Unmarshal(a.body, &h)
	if a.status >= 400 {
		apiErr := errorFrom(a)
		if decodeErr != nil || h.Status == "" {
			return nil, apiErr
		}
		apiErr.Message = "health is " + h.Status
		return &h, apiErr
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	return &h, nil
}

// Metrics returns the gateway's Prometheus text.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	a, err := c.send(ctx, get("/metrics", nil))
	if err != nil {
		return "", err
	}
	return string(a.body), nil
}
