package jobqueue

import (
	"context"
	"net/url"
)

// DLQOption refines ListDLQ.
type DLQOption func(url.Values)

// IncludeRequeued lists the entries already requeued too.
func IncludeRequeued() DLQOption { return func(q url.Values) { q.Set("include_requeued", "true") } }

// ListDLQ returns one page of the caller's dead jobs (limit 20 when 0).
func (c *Client) ListDLQ(ctx context.Context, limit, offset int, opts ...DLQOption) (Page[*DLQEntry], error) {
	q := pageQuery(limit, offset)
	for _, o := range opts {
		o(q)
	}
	var entries []*DLQEntry
	meta, err := c.do(ctx, get("/api/v1/dlq", q), &entries)
	if err != nil {
		return Page[*DLQEntry]{}, err
	}
	return Page[*DLQEntry]{Items: entries, TotalCount: meta.TotalCount, Limit: meta.Limit, Offset: meta.Offset, HasMore: meta.HasMore}, nil
}

// RequeueDLQ enqueues a fresh job from a DLQ entry and returns it (its RequeuedFrom names the dead job); an entry
// already requeued answers 409.
func (c *Client) RequeueDLQ(ctx context.Context, dlqID string) (*Job, error) {
	var r struct {
		NewJob *Job `json:"new_job"`
	}
	if _, err := c.do(ctx, post("/api/v1/dlq/"+seg(dlqID)+"/requeue", nil), &r); err != nil {
		return nil, err
	}
	return r.NewJob, nil
}
