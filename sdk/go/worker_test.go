package jobqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

// runWorker runs w until the test ends (or stop is called) and returns stop, which waits for Run to return and
// gives its error.
func runWorker(t *testing.T, w *jobqueue.Worker) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-result:
			case <-time.After(time.Minute):
				err = errors.New("Run did not return within a minute of its ctx being cancelled")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// errorsOf collects what a worker reports to OnError.
type errorsOf struct {
	mu   sync.Mutex
	seen []string
}

func (e *errorsOf) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, err.Error())
}
func (e *errorsOf) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

func TestWorker_RunsAFreshType_AndCompletesItWithTheHandlersResult(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	jobType := unique("go.greet")
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: jobType, Payload: map[string]any{"name": "Ada"}})).in(t)

	var errs errorsOf
	w := jobqueue.NewWorker(c.Client, jobqueue.WorkerOptions{Concurrency: 2, LeaseDuration: 6 * time.Second, Wait: 2 * time.Second, OnError: errs.add})
	w.Handle(jobType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		var p struct{ Name string }
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return nil, jobqueue.Permanent(err)
		}
		if j.LeaseToken == "" || j.Status != jobqueue.StatusRunning || !j.LeaseExpiresAt.After(time.Now()) {
			return nil, jobqueue.Permanent(errors.New("not a leased job"))
		}
		jobqueue.ReportProgress(ctx, map[string]int{"done": 1})
		return map[string]string{"greeting": "hello " + p.Name}, nil
	})
	stop := runWorker(t, w)

	done := waitForStatus(t, c.Client, job.ID, jobqueue.StatusCompleted, 30*time.Second)
	if done.WorkerID == nil || *done.WorkerID != w.ID() || done.Attempts != 1 {
		t.Fatalf("completed job: %+v", done)
	}
	var result map[string]string
	if err := json.Unmarshal(must(c.GetJobResult(ctx, job.ID)).in(t), &result); err != nil || result["greeting"] != "hello Ada" {
		t.Fatalf("result %v (%v)", result, err)
	}

	var listed *jobqueue.WorkerInfo
	for _, wi := range must(c.ListWorkers(ctx, true)).in(t) {
		if wi.ID == w.ID() {
			listed = wi
		}
	}
	if listed == nil || listed.Kind != "remote" || len(listed.Types) != 1 || listed.Types[0] != jobType {
		t.Fatalf("the worker as listed: %+v", listed)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the worker listed as stopped", func() (bool, string) {
		for _, wi := range must(c.ListWorkers(ctx, false)).in(t) {
			if wi.ID == w.ID() {
				return wi.Status == "stopped", wi.Status
			}
		}
		return false, "not listed"
	})
	if e := errs.list(); len(e) != 0 {
		t.Fatalf("the worker reported errors: %v", e)
	}
}

func TestWorker_FailingHandler_FailsTheAttempt_AndTheJobIsRetried(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, 2*time.Minute)
	jobType := unique("go.flaky")
	permanentType := unique("go.broken")
	flaky := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: jobType, MaxAttempts: 3})).in(t)
	broken := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: permanentType, MaxAttempts: 3})).in(t)

	var calls int32
	w := jobqueue.NewWorker(c.Client, jobqueue.WorkerOptions{LeaseDuration: 6 * time.Second, Wait: 2 * time.Second})
	w.Handle(jobType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		if atomic.AddInt32(&calls, 1) == 1 {
			return nil, errors.New("the mail server said 451, try later")
		}
		return json.RawMessage(`"sent"`), nil
	})
	w.Handle(permanentType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		return nil, jobqueue.Permanent(errors.New("no such recipient"))
	})
	runWorker(t, w)

	done := waitForStatus(t, c.Client, flaky.ID, jobqueue.StatusCompleted, time.Minute)
	attempts := must(c.GetJobAttempts(ctx, flaky.ID)).in(t)
	if done.Attempts != 2 || len(attempts) != 2 || attempts[0].Outcome != "failed" || attempts[0].Error == nil ||
		!strings.Contains(*attempts[0].Error, "451") || attempts[1].Outcome != "completed" {
		t.Fatalf("job %+v, attempts %+v", done, attempts)
	}
	if result := must(c.GetJobResult(ctx, flaky.ID)).in(t); string(result) != `"sent"` {
		t.Fatalf("result %s", result)
	}

	dead := waitForStatus(t, c.Client, broken.ID, jobqueue.StatusDead, 30*time.Second)
	if dead.Attempts != 1 || dead.ErrorMessage == nil || !strings.Contains(*dead.ErrorMessage, "no such recipient") {
		t.Fatalf("a permanent failure: %+v", dead)
	}
}

func TestWorker_CancellationReachesTheHandlersCtx(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	jobType := unique("go.long")
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: jobType})).in(t)

	started, stopped := make(chan struct{}), make(chan error, 1)
	w := jobqueue.NewWorker(c.Client, jobqueue.WorkerOptions{LeaseDuration: 6 * time.Second, Wait: 2 * time.Second})
	w.Handle(jobType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil, ctx.Err()
	})
	runWorker(t, w)

	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the handler did not start")
	}
	asked := must(c.CancelJob(ctx, job.ID)).in(t)
	if !asked.CancelRequested {
		t.Fatalf("cancelling a running job: %+v", asked)
	}
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the handler's ctx ended with %v", err)
		}
	case <-time.After(10 * time.Second): // a heartbeat every 2 s brings the news
		t.Fatal("the cancellation did not reach the handler within 10 s")
	}
	waitForStatus(t, c.Client, job.ID, jobqueue.StatusCancelled, 15*time.Second)
}

func TestWorker_GracefulStop_FinishesWhatEndsInTime_AndHandsBackTheRest(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, 2*time.Minute)
	quickType, stuckType := unique("go.quick"), unique("go.stuck")
	quick := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: quickType})).in(t)
	stuck := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: stuckType, MaxAttempts: 5})).in(t)

	var running sync.WaitGroup
	running.Add(2)
	w := jobqueue.NewWorker(c.Client, jobqueue.WorkerOptions{
		Concurrency: 2, LeaseDuration: 6 * time.Second, Wait: 1 * time.Second, ShutdownGrace: 2 * time.Second,
	})
	w.Handle(quickType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		running.Done()
		time.Sleep(time.Second) // ends within the grace, whatever its ctx says
		return "finished", nil
	})
	w.Handle(stuckType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		running.Done()
		<-ctx.Done()
		return nil, ctx.Err()
	})
	stop := runWorker(t, w)
	both := make(chan struct{})
	go func() { running.Wait(); close(both) }()
	select {
	case <-both:
	case <-time.After(30 * time.Second):
		t.Fatal("the two handlers did not both start")
	}

	stopping := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(stopping)
	if took < 2*time.Second || took > 15*time.Second {
		t.Fatalf("Run returned %v after its ctx was cancelled; the grace is 2 s", took)
	}

	if j := must(c.GetJob(ctx, quick.ID)).in(t); j.Status != jobqueue.StatusCompleted {
		t.Fatalf("the job that ended within the grace: %s", j.Status)
	}
	j := must(c.GetJob(ctx, stuck.ID)).in(t)
	if (j.Status != jobqueue.StatusFailed && j.Status != jobqueue.StatusPending) || j.Attempts != 1 || j.ErrorMessage == nil ||
		!strings.Contains(*j.ErrorMessage, "worker stopped") {
		t.Fatalf("the job cut off by the stop should wait for its retry: %+v", j)
	}

	// Stopped means no more leasing: a new job of its type waits.
	after := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: quickType})).in(t)
	time.Sleep(2 * time.Second)
	if j := must(c.GetJob(ctx, after.ID)).in(t); j.Status != jobqueue.StatusPending {
		t.Fatalf("a job enqueued after the stop: %s", j.Status)
	}
}

func TestWorker_LeasesOnlyAsManyJobsAsItHasFreeSlots(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, 2*time.Minute)
	jobType := unique("go.one-at-a-time")
	reqs := make([]jobqueue.EnqueueRequest, 4)
	for i := range reqs {
		reqs[i] = jobqueue.EnqueueRequest{Type: jobType}
	}
	must(c.EnqueueBatch(ctx, reqs)).in(t)

	var inFlight, most int32
	var overLeased atomic.Value
	w := jobqueue.NewWorker(c.Client, jobqueue.WorkerOptions{Concurrency: 1, LeaseDuration: 6 * time.Second, Wait: 1 * time.Second})
	w.Handle(jobType, func(ctx context.Context, j *jobqueue.LeasedJob) (any, error) {
		n := atomic.AddInt32(&inFlight, 1)
		defer atomic.AddInt32(&inFlight, -1)
		if n > atomic.LoadInt32(&most) {
			atomic.StoreInt32(&most, n)
		}
		// While this one runs, the server must hold no other job of ours as running.
		if page, err := c.ListJobs(ctx, jobqueue.ListJobsParams{Status: jobqueue.StatusRunning, Type: jobType}); err == nil && page.TotalCount > 1 {
			overLeased.Store(page.TotalCount)
		}
		time.Sleep(200 * time.Millisecond)
		return nil, nil
	})
	runWorker(t, w)
	waitFor(t, time.Minute, "every job completed", func() (bool, string) {
		page, err := c.ListJobs(ctx, jobqueue.ListJobsParams{Status: jobqueue.StatusCompleted, Type: jobType})
		if err != nil {
			return false, err.Error()
		}
		return page.TotalCount == 4, "fewer"
	})
	if atomic.LoadInt32(&most) != 1 {
		t.Fatalf("%d handlers ran at once with Concurrency 1", most)
	}
	if n := overLeased.Load(); n != nil {
		t.Fatalf("%v jobs were running (leased) at once with Concurrency 1", n)
	}
}
