package jobqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"regexp"
	"sort"
	"sync"
	"time"
)

// HandlerFunc runs one job. Its ctx is cancelled when the job's cancellation is requested, when the worker lost
// the lease (another attempt now owns the job), when the job's timeout_seconds pass, and when the worker's
// shutdown grace is over: return promptly then. The result (any value that encodes as JSON, a json.RawMessage, or
// nil for none) is stored as the job's result. An error fails the attempt and the job is retried while attempts
// are left, unless it is wrapped by Permanent.
type HandlerFunc func(ctx context.Context, job *LeasedJob) (any, error)

// WorkerOptions configures a Worker; every field has a default.
type WorkerOptions struct {
	// ID names the worker in /api/v1/workers and on each attempt; default "<host>-go-<pid>-<random>".
	ID string
	// Concurrency is how many jobs run at once (default 10); the worker never leases more than it has free slots.
	Concurrency int
	// Queues to take jobs from; default all (critical, default, bulk).
	Queues []string
	// LeaseDuration is how long a job stays leased without a heartbeat (5 s to 1 h, default 30 s); heartbeats go
	// every third of it, so a worker that dies gives its jobs back within one LeaseDuration.
	LeaseDuration time.Duration
	// Wait is how long one lease request waits for a job when none is ready (1–20 s, default 20 s): a long poll,
	// so an idle worker costs one request per Wait and a new job starts at once.
	Wait time.Duration
	// ShutdownGrace is how long running handlers may take to finish once Run's ctx is done (default 30 s); then
	// their ctx is cancelled and the attempts are reported failed (retryable).
	ShutdownGrace time.Duration
	// OnError is told about the errors the worker carries on after (a failed lease or report, a lost lease);
	// default log.Printf.
	OnError func(error)
}

// Worker runs jobs of the types it has handlers for, leased from the server over the remote-worker protocol.
type Worker struct {
	client   *Client
	host     string
	opts     WorkerOptions
	mu       sync.Mutex
	handlers map[string]HandlerFunc
	running  bool
}

var workerIDChars = regexp.MustCompile(`[^A-Za-z0-9._:@-]`)

// NewWorker returns a worker leasing through client; add handlers with Handle, then call Run.
func NewWorker(client *Client, opts WorkerOptions) *Worker {
	host, _ := os.Hostname()
	if opts.ID == "" {
		suffix := make([]byte, 3)
		_, _ = rand.Read(suffix)
		opts.ID = fmt.Sprintf("%s-go-%d-%s", workerIDChars.ReplaceAllString(host, "_"), os.Getpid(), hex.EncodeToString(suffix))
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 10
	}
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = 30 * time.Second
	}
	switch {
	case opts.Wait <= 0 || opts.Wait > 20*time.Second:
		opts.Wait = 20 * time.Second
	case opts.Wait < time.Second:
		opts.Wait = time.Second // the protocol counts whole seconds, and 0 would poll without waiting
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 30 * time.Second
	}
	if opts.OnError == nil {
		opts.OnError = func(err error) { log.Printf("jobqueue worker: %v", err) }
	}
	return &Worker{client: client, host: host, opts: opts, handlers: map[string]HandlerFunc{}}
}

// ID is the worker's id.
func (w *Worker) ID() string { return w.opts.ID }

// Handle registers the handler of a job type; call it before Run.
func (w *Worker) Handle(jobType string, h HandlerFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[jobType] = h
}

// Run leases and runs jobs until ctx is done, then stops gracefully: it leases no more, lets running handlers
// finish within ShutdownGrace, cancels the rest (reported failed and retryable), tells the server it stopped and
// returns nil. It returns an error at once when the server refuses to lease (bad options, wrong credentials).
func (w *Worker) Run(ctx context.Context) error {
	handlers, types, err := w.start()
	if err != nil {
		return err
	}
	defer w.finish()

	slots := make(chan struct{}, w.opts.Concurrency) // one token per running job
	release := func() { <-slots }
	// Handlers outlive ctx by up to the grace, so their contexts hang off their own root.
	handlerRoot, stopHandlers := context.WithCancel(context.Background())
	defer stopHandlers()
	var running sync.WaitGroup

	leaseErr := w.leaseLoop(ctx, types, slots, func(job *LeasedJob) {
		running.Add(1)
		go func() {
			defer running.Done()
			defer release()
			w.run(handlerRoot, handlers[job.Type], job)
		}()
	})

	finished := make(chan struct{})
	go func() { running.Wait(); close(finished) }()
	grace := time.NewTimer(w.opts.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		stopHandlers()
		<-finished
	}

	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.client.StopWorker(stopCtx, w.opts.ID); err != nil {
		w.opts.OnError(fmt.Errorf("telling the server worker %s stopped: %w", w.opts.ID, err))
	}
	return leaseErr
}

func (w *Worker) start() (map[string]HandlerFunc, []string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running {
		return nil, nil, errors.New("jobqueue: this worker is already running")
	}
	if len(w.handlers) == 0 {
		return nil, nil, errors.New("jobqueue: the worker has no handlers: call Handle before Run")
	}
	handlers := make(map[string]HandlerFunc, len(w.handlers))
	types := make([]string, 0, len(w.handlers))
	for t, h := range w.handlers {
		handlers[t] = h
		types = append(types, t)
	}
	sort.Strings(types)
	w.running = true
	return handlers, types, nil
}

func (w *Worker) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = false
}

// maxLease is the most jobs one lease request may ask for.
const maxLease = 100

// leaseLoop leases as many jobs as there are free slots, waiting for a slot first, until ctx is done; it returns
// an error only when the server refuses the lease request itself (4xx).
func (w *Worker) leaseLoop(ctx context.Context, types []string, slots chan struct{}, start func(*LeasedJob)) error {
	failures := 0
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		free := 1
	more:
		for free < cap(slots) && free < maxLease {
			select {
			case slots <- struct{}{}:
				free++
			default:
				break more
			}
		}

		jobs, err := w.client.LeaseJobs(ctx, LeaseRequest{
			WorkerID:     w.opts.ID,
			Host:         w.host,
			Types:        types,
			Queues:       w.opts.Queues,
			Max:          free,
			LeaseSeconds: int(w.opts.LeaseDuration / time.Second),
			WaitSeconds:  int(w.opts.Wait / time.Second),
		})
		unused := free
		if err == nil {
			unused -= len(jobs)
		}
		for ; unused > 0; unused-- {
			<-slots
		}
		if ctx.Err() != nil {
			if err == nil {
				for _, job := range jobs {
					start(job)
				}
			}
			return nil
		}
		if err != nil {
			if s := StatusOf(err); s >= 400 && s < 500 {
				return fmt.Errorf("jobqueue: the server refused to lease jobs: %w", err)
			}
			w.opts.OnError(fmt.Errorf("leasing jobs: %w", err))
			failures++
			if sleep(ctx, backoff(failures)) != nil {
				return nil
			}
			continue
		}
		failures = 0
		for _, job := range jobs {
			start(job)
		}
	}
}

// Why a job's ctx was cancelled by the worker.
const (
	stopNone = iota
	stopCancelRequested
	stopLeaseLost
)

// jobRun is what a handler's ctx and the job's heartbeat share.
type jobRun struct {
	mu          sync.Mutex
	progress    any
	hasProgress bool
	stop        int
}

type jobRunKey struct{}

// ReportProgress records the progress of the job whose handler ctx is given (any value that encodes as JSON); the
// next heartbeat sends it to the server. Outside a handler it does nothing.
func ReportProgress(ctx context.Context, progress any) {
	r, ok := ctx.Value(jobRunKey{}).(*jobRun)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress, r.hasProgress = progress, true
}

func (r *jobRun) takeProgress() any {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.progress
	r.progress, r.hasProgress = nil, false
	return p
}

func (r *jobRun) setStop(why int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop == stopNone {
		r.stop = why
	}
}

func (r *jobRun) stopReason() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop
}

// run runs one leased job with its heartbeat and reports the outcome.
func (w *Worker) run(root context.Context, h HandlerFunc, job *LeasedJob) {
	r := &jobRun{}
	ctx, cancel := context.WithCancel(context.WithValue(root, jobRunKey{}, r))
	defer cancel()
	if job.TimeoutSeconds != nil && *job.TimeoutSeconds > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(*job.TimeoutSeconds)*time.Second)
		defer cancelTimeout()
	}

	handlerDone := make(chan struct{})
	heartbeatDone := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		w.heartbeat(job, r, cancel, handlerDone)
	}()
	result, err := callHandler(ctx, h, job)
	close(handlerDone)
	<-heartbeatDone

	// The report must get through even when the worker is stopping, so it has its own deadline.
	reportCtx, cancelReport := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelReport()
	switch why := r.stopReason(); {
	case why == stopLeaseLost:
		w.opts.OnError(fmt.Errorf("job %s (%s): lease lost, another attempt owns the job; its outcome is not reported", job.ID, job.Type))
		return
	case err != nil && why == stopCancelRequested:
		_, err = w.client.FailJob(reportCtx, job.ID, job.LeaseToken, "cancelled", false)
	case err != nil:
		message, retry := err.Error(), !IsPermanent(err)
		if message == "" {
			message = "the handler failed without a message" // the protocol needs one
		}
		switch {
		case root.Err() != nil:
			message, retry = "the worker stopped before the job finished: "+message, true
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			message = fmt.Sprintf("timed out after %d s: %s", *job.TimeoutSeconds, message)
		}
		_, err = w.client.FailJob(reportCtx, job.ID, job.LeaseToken, message, retry)
	default:
		// Encoded here, so a result that is not JSON fails the attempt (for good: running it again gives the same value).
		var stored any
		if result != nil {
			encoded, encodeErr := json.Marshal(result)
			if encodeErr != nil {
				_, err = w.client.FailJob(reportCtx, job.ID, job.LeaseToken, "the handler's result is not JSON: "+encodeErr.Error(), false)
				break
			}
			stored = json.RawMessage(encoded)
		}
		_, err = w.client.CompleteJob(reportCtx, job.ID, job.LeaseToken, stored)
	}
	if err != nil {
		w.opts.OnError(fmt.Errorf("job %s (%s): reporting the outcome: %w", job.ID, job.Type, err))
	}
}

// callHandler turns a panic into a failed (retryable) attempt, as a crash of the handler alone should not take the
// worker and every other running job down.
func callHandler(ctx context.Context, h HandlerFunc, job *LeasedJob) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, err = nil, fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, job)
}

// heartbeat extends the lease every third of it until the handler is done, sending the latest progress; it
// cancels the handler's ctx when cancellation is requested (and keeps the lease until the handler returns, so the
// "cancelled" report is accepted) or when the lease is lost.
func (w *Worker) heartbeat(job *LeasedJob, r *jobRun, cancel context.CancelFunc, handlerDone <-chan struct{}) {
	interval := w.opts.LeaseDuration / 3
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-handlerDone:
			return
		case <-ticker.C:
		}
		ctx, cancelBeat := context.WithTimeout(context.Background(), interval)
		lease, err := w.client.Heartbeat(ctx, job.ID, HeartbeatRequest{
			LeaseToken:   job.LeaseToken,
			Progress:     r.takeProgress(),
			LeaseSeconds: int(w.opts.LeaseDuration / time.Second),
		})
		cancelBeat()
		switch {
		case err != nil && (StatusOf(err) == http.StatusConflict || StatusOf(err) == http.StatusNotFound):
			r.setStop(stopLeaseLost)
			cancel()
			return
		case err != nil:
			// Maybe a passing fault: the lease is still good until its expiry, and the next beat may get through.
			w.opts.OnError(fmt.Errorf("job %s (%s): heartbeat: %w", job.ID, job.Type, err))
		case lease.CancelRequested:
			r.setStop(stopCancelRequested)
			cancel()
		}
	}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks a handler's error as one that retrying cannot fix (bad input): the job goes to the dead-letter
// queue at once instead of being retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
