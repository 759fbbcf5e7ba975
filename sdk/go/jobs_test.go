package jobqueue_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

func TestEnqueue_EchoJobCompletes_WithItsResultAndOneAttempt(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{
		Type: "echo", Payload: map[string]any{"to": "ada@example.com"}, Priority: 8, Tags: map[string]string{"team": "go"},
	})).in(t)
	if job.ID == "" || job.Type != "echo" || job.Priority != 8 || job.Tags["team"] != "go" || job.Tenant != c.reg.User.ID {
		t.Fatalf("enqueued job: %+v", job)
	}
	if job.CreatedAt.IsZero() || job.ScheduledAt.IsZero() {
		t.Fatalf("timestamps not decoded: %+v", job)
	}

	done := waitForStatus(t, c.Client, job.ID, jobqueue.StatusCompleted, 30*time.Second)
	if done.StartedAt == nil || done.CompletedAt == nil || done.WorkerID == nil || done.Attempts != 1 {
		t.Fatalf("completed job: %+v", done)
	}
	result := must(c.GetJobResult(ctx, job.ID)).in(t)
	var echoed map[string]string
	if err := json.Unmarshal(result, &echoed); err != nil || echoed["to"] != "ada@example.com" {
		t.Fatalf("result %s (%v)", result, err)
	}
	// The worker records the attempt beside the outcome, a moment after the status may show.
	waitFor(t, 10*time.Second, "the attempt recorded", func() (bool, string) {
		attempts, err := c.GetJobAttempts(ctx, job.ID)
		if err != nil {
			return false, err.Error()
		}
		ok := len(attempts) == 1 && attempts[0].Outcome == "completed" && attempts[0].WorkerID == *done.WorkerID
		return ok, fmt.Sprintf("%+v", attempts)
	})

	page := must(c.ListJobs(ctx, jobqueue.ListJobsParams{Status: jobqueue.StatusCompleted, Type: "echo", Tags: map[string]string{"team": "go"}})).in(t)
	if page.TotalCount != 1 || len(page.Items) != 1 || page.Items[0].ID != job.ID || page.HasMore {
		t.Fatalf("list: %+v", page)
	}
	stats := must(c.GetStats(ctx)).in(t)
	if stats.TotalJobs != 1 || stats.Completed != 1 || len(stats.Queues) == 0 {
		t.Fatalf("stats: %+v", stats)
	}
}

func TestGetJobResult_IsNil_WhileThereIsNone(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	later := time.Now().Add(time.Hour)
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop", ScheduledAt: &later})).in(t)
	result, err := c.GetJobResult(ctx, job.ID)
	if err != nil || result != nil {
		t.Fatalf("result of a waiting job: %s, %v", result, err)
	}
}

func TestEnqueueBatch_AndTheIterator_WalkEveryPage(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	later := time.Now().Add(time.Hour) // waiting jobs: the listing does not change under the test
	reqs := make([]jobqueue.EnqueueRequest, 25)
	for i := range reqs {
		reqs[i] = jobqueue.EnqueueRequest{Type: "noop", ScheduledAt: &later, QueueName: jobqueue.QueueBulk, Tags: map[string]string{"batch": "b1"}}
	}
	jobs := must(c.EnqueueBatch(ctx, reqs)).in(t)
	if len(jobs) != 25 {
		t.Fatalf("batch answered %d jobs", len(jobs))
	}
	want := map[string]bool{}
	for _, j := range jobs {
		want[j.ID] = true
	}

	first := must(c.ListJobsCursor(ctx, jobqueue.JobFilter{Tags: map[string]string{"batch": "b1"}, PageSize: 10}, "")).in(t)
	if len(first.Items) != 10 || !first.HasMore || first.NextCursor == nil {
		t.Fatalf("first page: %d items, has_more %v", len(first.Items), first.HasMore)
	}

	it := c.Jobs(ctx, jobqueue.JobFilter{Queue: jobqueue.QueueBulk, Tags: map[string]string{"batch": "b1"}, PageSize: 10})
	seen := map[string]bool{}
	var previous time.Time
	for it.Next() {
		j := it.Job()
		if seen[j.ID] || !want[j.ID] {
			t.Fatalf("job %s repeated or not ours", j.ID)
		}
		if !previous.IsZero() && j.CreatedAt.After(previous) {
			t.Fatalf("not newest first: %v after %v", j.CreatedAt, previous)
		}
		seen[j.ID], previous = true, j.CreatedAt
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 25 {
		t.Fatalf("the iterator saw %d of 25 jobs over pages of 10", len(seen))
	}

	_, err := c.EnqueueBatch(ctx, []jobqueue.EnqueueRequest{{Type: "noop"}, {Type: "noop", Priority: 42}})
	if !jobqueue.IsInvalid(err) || !strings.Contains(err.Error(), "job[1]") {
		t.Fatalf("a batch with an invalid job: %v", err)
	}
	if page := must(c.ListJobs(ctx, jobqueue.ListJobsParams{Limit: 1})).in(t); page.TotalCount != 25 {
		t.Fatalf("the refused batch created jobs: %d", page.TotalCount)
	}
}

func TestErrors_CarryTheAPIsStatusMessageAndRequestID(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	missing := "00000000-0000-4000-8000-000000000000"

	_, err := c.GetJob(ctx, missing)
	var apiErr *jobqueue.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an *APIError: %v", err)
	}
	if apiErr.Status != http.StatusNotFound || apiErr.Message != "job "+missing+" not found" || apiErr.RequestID == "" || !jobqueue.IsNotFound(err) {
		t.Fatalf("404: %+v", apiErr)
	}
	if !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), apiErr.Message) {
		t.Fatalf("error text: %q", err.Error())
	}

	_, err = c.GetJob(ctx, "not-a-uuid")
	if jobqueue.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "not-a-uuid") {
		t.Fatalf("bad id: %v", err)
	}

	_, err = c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "x", Priority: 42})
	if jobqueue.StatusOf(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "'priority' must be between 1 and 10, got 42") {
		t.Fatalf("priority 42: %v", err)
	}
	_, err = c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop", Payload: []int{1}})
	if jobqueue.StatusOf(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "payload") {
		t.Fatalf("array payload: %v", err)
	}

	_, err = jobqueue.New(baseURL, jobqueue.WithAPIKey("qly_00000000000000000000000000000000")).GetStats(ctx)
	if !jobqueue.IsUnauthorized(err) {
		t.Fatalf("wrong key: %v", err)
	}
	if jobqueue.StatusOf(errors.New("plain")) != 0 {
		t.Fatal("StatusOf of a plain error")
	}
}

func TestCancelRetryAndTheDeadLetterQueue(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)

	later := time.Now().Add(time.Hour)
	waiting := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop", ScheduledAt: &later})).in(t)
	cancelled := must(c.CancelJob(ctx, waiting.ID)).in(t)
	if cancelled.Status != jobqueue.StatusCancelled || cancelled.CancelRequested || cancelled.ID != waiting.ID {
		t.Fatalf("cancel: %+v", cancelled)
	}
	if _, err := c.CancelJob(ctx, waiting.ID); !jobqueue.IsConflict(err) || !strings.Contains(err.Error(), "cannot be cancelled") {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := c.RetryJob(ctx, waiting.ID); jobqueue.IsConflict(err) != true {
		t.Fatalf("retrying a cancelled job: %v", err)
	}

	failing := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "fail", MaxAttempts: 1})).in(t)
	dead := waitForStatus(t, c.Client, failing.ID, jobqueue.StatusDead, 30*time.Second)
	if dead.ErrorMessage == nil || *dead.ErrorMessage == "" {
		t.Fatalf("dead job without its error: %+v", dead)
	}
	dlq := must(c.ListDLQ(ctx, 10, 0)).in(t)
	if dlq.TotalCount != 1 || len(dlq.Items) != 1 || dlq.Items[0].JobID != failing.ID || dlq.Items[0].LastError == nil {
		t.Fatalf("DLQ: %+v", dlq)
	}
	stats := must(c.GetStats(ctx)).in(t)
	if stats.Dead != 1 || stats.DLQCount != 1 {
		t.Fatalf("stats: %+v", stats)
	}

	entry := dlq.Items[0]
	requeued := must(c.RequeueDLQ(ctx, entry.ID)).in(t)
	if requeued == nil || requeued.ID == failing.ID || requeued.Type != "fail" || requeued.RequeuedFrom == nil || *requeued.RequeuedFrom != entry.ID {
		t.Fatalf("requeued job: %+v", requeued)
	}
	if _, err := c.RequeueDLQ(ctx, entry.ID); !jobqueue.IsConflict(err) {
		t.Fatalf("second requeue: %v", err)
	}
	// The requeued "fail" job dies again and makes an entry of its own; the requeued entry is listed only on request.
	listed := func(opts ...jobqueue.DLQOption) *jobqueue.DLQEntry {
		for _, e := range must(c.ListDLQ(ctx, 10, 0, opts...)).in(t).Items {
			if e.ID == entry.ID {
				return e
			}
		}
		return nil
	}
	if listed() != nil {
		t.Fatal("a requeued entry is listed by default")
	}
	if e := listed(jobqueue.IncludeRequeued()); e == nil || !e.Requeued || e.RequeuedAt == nil || e.NewJobID == nil || *e.NewJobID != requeued.ID {
		t.Fatalf("including requeued: %+v", e)
	}

	retried := must(c.RetryJob(ctx, failing.ID)).in(t)
	if retried.ID != failing.ID || retried.Status != jobqueue.StatusPending {
		t.Fatalf("retried: %+v", retried)
	}
}

func TestPurgeJobs_DeletesEndedJobsBeforeTheTime(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop"})).in(t)
	waitForStatus(t, c.Client, job.ID, jobqueue.StatusCompleted, 30*time.Second)
	later := time.Now().Add(time.Hour)
	waiting := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop", ScheduledAt: &later})).in(t)

	if n := must(c.PurgeJobs(ctx, time.Now().Add(-time.Hour))).in(t); n != 0 {
		t.Fatalf("purged %d jobs that ended after the time", n)
	}
	if n := must(c.PurgeJobs(ctx, time.Now().Add(time.Minute))).in(t); n != 1 {
		t.Fatalf("purged %d, want the one completed job", n)
	}
	if _, err := c.GetJob(ctx, job.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("purged job: %v", err)
	}
	must(c.GetJob(ctx, waiting.ID)).in(t)
}

func TestHealthMetricsAndWorkers(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	h := must(jobqueue.New(baseURL).Health(ctx)).in(t)
	if h.Status != "ok" || h.Checks["postgres"] != "ok" || h.Checks["redis"] != "ok" || h.Uptime == "" {
		t.Fatalf("health: %+v", h)
	}
	metrics := must(c.Metrics(ctx)).in(t)
	if !strings.Contains(metrics, "jobqueue_queue_depth") {
		t.Fatalf("metrics without jobqueue_queue_depth: %.300s", metrics)
	}
	workers := must(c.ListWorkers(ctx, true)).in(t)
	builtIn := 0
	for _, w := range workers {
		if w.Kind == "built-in" && w.Status == "active" && w.Concurrency > 0 && !w.LastSeen.IsZero() {
			builtIn++
		}
	}
	if builtIn == 0 {
		t.Fatalf("no active built-in worker listed: %+v", workers)
	}
}

func TestRateLimited_429_IsRetriedAfterRetryAfter(t *testing.T) {
	// /auth/* allows a burst of 5 per address and 1 a second: a wrong login is cheap to repeat until refused.
	ctx := ctxFor(t, time.Minute)
	noRetries := jobqueue.New(baseURL, jobqueue.WithMaxRetries(0))
	var limited *jobqueue.APIError
	for i := 0; i < 50 && limited == nil; i++ {
		_, err := noRetries.Login(ctx, "nobody@example.com", "wrong password")
		if jobqueue.IsRateLimited(err) {
			errors.As(err, &limited)
		} else if !jobqueue.IsUnauthorized(err) {
			t.Fatalf("a wrong login: %v", err)
		}
	}
	if limited == nil {
		t.Fatal("50 logins in a row were never rate-limited")
	}
	if limited.RetryAfter < time.Second || !strings.Contains(limited.Message, "rate limit") {
		t.Fatalf("429: %+v", limited)
	}

	started := time.Now()
	_, err := jobqueue.New(baseURL, jobqueue.WithMaxRetries(20)).Login(ctx, "nobody@example.com", "wrong password")
	if !jobqueue.IsUnauthorized(err) {
		t.Fatalf("with retries, the login should get through to its 401: %v", err)
	}
	if waited := time.Since(started); waited < 500*time.Millisecond {
		t.Fatalf("got through after %v: the 429 was not waited out", waited)
	}
}
