// Quickstart: enqueue a job for the built-in workers, then run a job type of your own in this process with a
// jobqueue.Worker, and list what was done.
//
//	JOBQUEUE_URL=http://localhost:8080 JOBQUEUE_API_KEY=qly_… go run ./examples/quickstart
//
// Without JOBQUEUE_API_KEY it registers a new account and uses its key.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	baseURL := os.Getenv("JOBQUEUE_URL")
	if baseURL == "" {
		baseURL = "http://localhost:8080"
	}
	key := os.Getenv("JOBQUEUE_API_KEY")
	if key == "" {
		email := fmt.Sprintf("quickstart-%d@example.com", time.Now().UnixNano())
		reg, err := jobqueue.New(baseURL, jobqueue.WithMaxRetries(30)).Register(ctx, email, "correct horse battery")
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		key = reg.APIKey.Key
		fmt.Println("registered", email)
	}
	c := jobqueue.New(baseURL, jobqueue.WithAPIKey(key))

	// 1. A job for the built-in "echo" handler: its result is its payload.
	job, err := c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "echo", Payload: map[string]any{"to": "ada@example.com"}})
	if err != nil {
		return err
	}
	if job, err = waitUntilEnded(ctx, c, job.ID); err != nil {
		return err
	}
	result, err := c.GetJobResult(ctx, job.ID)
	if err != nil {
		return err
	}
	fmt.Printf("echo job %s: %s, result %s\n", job.ID, job.Status, result)

	// 2. A job type of our own, run right here by a Worker.
	greet, err := c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "greet", Payload: map[string]any{"name": "Ada"}})
	if err != nil {
		return err
	}
	w := jobqueue.NewWorker(c, jobqueue.WorkerOptions{Concurrency: 4, Wait: 2 * time.Second})
	w.Handle("greet", func(ctx context.Context, job *jobqueue.LeasedJob) (any, error) {
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return nil, jobqueue.Permanent(err) // bad input: retrying cannot help
		}
		return map[string]string{"greeting": "hello " + p.Name}, nil
	})
	workerCtx, stopWorker := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(workerCtx) }()
	greet, err = waitUntilEnded(ctx, c, greet.ID)
	stopWorker()
	if runErr := <-stopped; runErr != nil {
		return runErr
	}
	if err != nil {
		return err
	}
	if result, err = c.GetJobResult(ctx, greet.ID); err != nil {
		return err
	}
	fmt.Printf("greet job %s: %s by %s, result %s\n", greet.ID, greet.Status, *greet.WorkerID, result)

	// 3. Every job of ours, newest first, page by page.
	it := c.Jobs(ctx, jobqueue.JobFilter{Status: jobqueue.StatusCompleted})
	n := 0
	for it.Next() {
		n++
		fmt.Printf("  %s %s\n", it.Job().ID, it.Job().Type)
	}
	if err := it.Err(); err != nil {
		return err
	}
	fmt.Printf("%d completed jobs\n", n)

	// 4. Errors carry the API's status and message.
	if _, err := c.GetJob(ctx, "00000000-0000-4000-8000-000000000000"); jobqueue.IsNotFound(err) {
		fmt.Println("as expected:", err)
	}
	return nil
}

func waitUntilEnded(ctx context.Context, c *jobqueue.Client, id string) (*jobqueue.Job, error) {
	for {
		job, err := c.GetJob(ctx, id)
		if err != nil {
			return nil, err
		}
		switch job.Status {
		case jobqueue.StatusCompleted, jobqueue.StatusDead, jobqueue.StatusCancelled:
			return job, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("job %s still %s: %w", id, job.Status, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
