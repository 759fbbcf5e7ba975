package jobqueue

import "context"

// report is a call about a lease. It may be repeated: a heartbeat only extends the lease again, and a complete or
// fail that already took effect is refused with 409 the second time, changing nothing; losing an outcome instead
// would run the job again.
func report(path string, body any) call {
	k := post(path, body)
	k.idempotent = true
	return k
}

// The remote-worker lease protocol, call by call. Worker builds on these; use them directly to run jobs your own
// way.

// LeaseJobs leases up to req.Max ready jobs of req.Types; with WaitSeconds it long-polls until one is ready and
// answers an empty slice when none was.
func (c *Client) LeaseJobs(ctx context.Context, req LeaseRequest) ([]*LeasedJob, error) {
	var jobs []*LeasedJob
	if _, err := c.do(ctx, post("/api/v1/workers/lease", req), &jobs); err != nil {
		return nil, err
	}
	return jobs, nil
}

// HeartbeatRequest extends a lease; Progress (any JSON value) is stored with the job.
type HeartbeatRequest struct {
	LeaseToken   string `json:"lease_token"`
	Progress     any    `json:"progress,omitempty"`
	LeaseSeconds int    `json:"lease_seconds,omitempty"`
}

// Heartbeat extends the lease of a running job and says whether its cancellation was requested. 409: the lease
// expired or another attempt holds the job.
func (c *Client) Heartbeat(ctx context.Context, jobID string, req HeartbeatRequest) (*Lease, error) {
	var l Lease
	if _, err := c.do(ctx, report("/api/v1/jobs/"+seg(jobID)+"/heartbeat", req), &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// CompleteJob reports success with the handler's result (any JSON value, or nil) and returns the completed job.
func (c *Client) CompleteJob(ctx context.Context, jobID, leaseToken string, result any) (*Job, error) {
	body := struct {
		LeaseToken string `json:"lease_token"`
		Result     any    `json:"result,omitempty"`
	}{leaseToken, result}
	var job Job
	if _, err := c.do(ctx, report("/api/v1/jobs/"+seg(jobID)+"/complete", body), &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// FailJob reports a failed attempt. A retryable failure is retried after backoff while attempts are left (status
// "failed"), else the job is dead; a job whose cancellation was requested ends "cancelled".
func (c *Client) FailJob(ctx context.Context, jobID, leaseToken, message string, retryable bool) (*Job, error) {
	body := struct {
		LeaseToken string `json:"lease_token"`
		Error      string `json:"error"`
		Retryable  bool   `json:"retryable"`
	}{leaseToken, message, retryable}
	var job Job
	if _, err := c.do(ctx, report("/api/v1/jobs/"+seg(jobID)+"/fail", body), &job); err != nil {
		return nil, err
	}
	return &job, nil
}

// StopWorker tells the server a remote worker has stopped (it is listed "stopped").
func (c *Client) StopWorker(ctx context.Context, workerID string) error {
	_, err := c.send(ctx, del("/api/v1/workers/"+seg(workerID), nil))
	return err
}
