package jobqueue_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

func TestCron_CreateGetListUpdateDelete(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	created := must(c.CreateCron(ctx, jobqueue.CreateCronRequest{
		Name: "nightly-report", JobType: "echo", CronExpression: "30 2 * * *", Timezone: "Europe/Paris",
		Payload: map[string]any{"report": "daily"}, QueueName: jobqueue.QueueBulk, Priority: 3, MaxAttempts: 3,
		Tags: map[string]string{"team": "ops"},
	})).in(t)
	var payload map[string]string
	if err := json.Unmarshal(created.Payload, &payload); err != nil || payload["report"] != "daily" {
		t.Fatalf("payload %s (%v)", created.Payload, err)
	}
	if created.ID == "" || !created.Enabled || created.Timezone != "Europe/Paris" || created.Priority != 3 || !created.NextRunAt.After(time.Now()) || created.LastRunAt != nil {
		t.Fatalf("created: %+v", created)
	}
	if got := must(c.GetCron(ctx, created.ID)).in(t); got.Name != "nightly-report" || got.Tags["team"] != "ops" {
		t.Fatalf("get: %+v", got)
	}
	if list := must(c.ListCron(ctx)).in(t); len(list) != 1 || list[0].ID != created.ID {
		t.Fatalf("list: %+v", list)
	}

	off, expr := false, "*/10 * * * * *"
	updated := must(c.UpdateCron(ctx, created.ID, jobqueue.UpdateCronRequest{Enabled: &off, CronExpression: &expr})).in(t)
	if updated.Enabled || updated.CronExpression != expr {
		t.Fatalf("updated: %+v", updated)
	}

	_, err := c.CreateCron(ctx, jobqueue.CreateCronRequest{Name: "bad", JobType: "noop", CronExpression: "61 * * * *"})
	if !jobqueue.IsInvalid(err) || !strings.Contains(err.Error(), "invalid cron expression '61 * * * *'") {
		t.Fatalf("bad expression: %v", err)
	}
	_, err = c.CreateCron(ctx, jobqueue.CreateCronRequest{Name: "nightly-report", JobType: "noop", CronExpression: "* * * * *"})
	if !jobqueue.IsConflict(err) {
		t.Fatalf("a name in use: %v", err)
	}

	if err := c.DeleteCron(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCron(ctx, created.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("deleted schedule: %v", err)
	}
	if err := c.DeleteCron(ctx, created.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("deleting again: %v", err)
	}
}

func TestCron_FiresJobsTaggedWithTheSchedule(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	s := must(c.CreateCron(ctx, jobqueue.CreateCronRequest{Name: "every-second", JobType: "noop", CronExpression: "* * * * * *"})).in(t)
	defer func() { _ = c.DeleteCron(ctx, s.ID) }()
	waitFor(t, 15*time.Second, "a job fired by the schedule", func() (bool, string) {
		page, err := c.ListJobs(ctx, jobqueue.ListJobsParams{Tags: map[string]string{"cron_id": s.ID}})
		if err != nil {
			return false, err.Error()
		}
		return page.TotalCount > 0, "none"
	})
}
