package jobqueue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

// These tests run against a real JobQueue system; nothing in them is mocked.
var (
	baseURL  = os.Getenv("JOBQUEUE_URL")
	adminKey = os.Getenv("JOBQUEUE_ADMIN_KEY")
)

func TestMain(m *testing.M) {
	if baseURL == "" {
		fmt.Fprintln(os.Stderr, "FAIL: JOBQUEUE_URL is not set. These tests run against a real JobQueue system: start one "+
			"(./run.sh, or use a running one) and run\n  JOBQUEUE_URL=http://127.0.0.1:8080 JOBQUEUE_ADMIN_KEY=<ADMIN_KEY> go test ./...")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// tenant is an account of its own, so a test sees only its own jobs.
type tenant struct {
	*jobqueue.Client
	reg      *jobqueue.Registration
	email    string
	password string
}

// newTenant registers an account. /auth/* is rate-limited per address (1/s, burst 5) and every test and every SDK
// suite registers, so registration rides out 429s with more retries than the default.
func newTenant(t *testing.T) *tenant {
	t.Helper()
	email := unique("go-sdk") + "@example.com"
	password := "correct horse battery"
	reg, err := jobqueue.New(baseURL, jobqueue.WithMaxRetries(60)).Register(ctxFor(t, 2*time.Minute), email, password)
	if err != nil {
		t.Fatalf("registering a tenant: %v", err)
	}
	return &tenant{Client: jobqueue.New(baseURL, jobqueue.WithAPIKey(reg.APIKey.Key), jobqueue.WithMaxRetries(10)), reg: reg, email: email, password: password}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, failing the test with what it last saw after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v (last seen: %s)", what, timeout, last)
}

// waitForStatus waits until the job has the status and returns it.
func waitForStatus(t *testing.T, c *jobqueue.Client, id, status string, timeout time.Duration) *jobqueue.Job {
	t.Helper()
	var job *jobqueue.Job
	waitFor(t, timeout, "job "+id+" "+status, func() (bool, string) {
		j, err := c.GetJob(context.Background(), id)
		if err != nil {
			return false, err.Error()
		}
		job = j
		return j.Status == status, j.Status
	})
	return job
}

// must holds a call's answer until in(t) hands the value over or fails the test with the error:
// job := must(c.GetJob(ctx, id)).in(t).
func must[T any](v T, err error) answer[T] { return answer[T]{v, err} }

type answer[T any] struct {
	v   T
	err error
}

func (a answer[T]) in(t *testing.T) T {
	t.Helper()
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.v
}
