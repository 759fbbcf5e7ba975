package jobqueue_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

type delivery struct {
	header http.Header
	body   []byte
}

// receiver is a webhook URL on 127.0.0.1 (the system allows loopback webhook URLs in Development and in the tests).
func receiver(t *testing.T) (*httptest.Server, <-chan delivery) {
	got := make(chan delivery, 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func next(t *testing.T, got <-chan delivery, event string) delivery {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case d := <-got:
			if d.header.Get(jobqueue.EventHeader) == event {
				return d
			}
		case <-timeout:
			t.Fatalf("no %s delivery within 30 s", event)
		}
	}
}

func TestWebhook_RealDeliveryVerifies_AndTamperingIsRefused(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	srv, got := receiver(t)
	hook := must(c.CreateWebhook(ctx, jobqueue.CreateWebhookRequest{URL: srv.URL + "/hooks", Events: []string{"job.completed"}, Description: "go sdk"})).in(t)
	if len(hook.Secret) < 16 || !hook.HasSecret || !hook.Enabled || len(hook.Events) != 1 || hook.Description == nil || *hook.Description != "go sdk" {
		t.Fatalf("created webhook: %+v", hook)
	}

	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "echo", Payload: map[string]any{"n": 1}})).in(t)
	d := next(t, got, "job.completed")
	if err := jobqueue.VerifyWebhookSignature(hook.Secret, d.body, d.header, 0); err != nil {
		t.Fatalf("a real delivery does not verify: %v (headers %v)", err, d.header)
	}
	var event struct {
		Event string `json:"event"`
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(d.body, &event); err != nil || event.Event != "job.completed" || event.JobID != job.ID {
		t.Fatalf("delivery body %s (%v)", d.body, err)
	}
	if d.header.Get(jobqueue.DeliveryIDHeader) == "" {
		t.Fatal("no X-Webhook-Id")
	}

	tampered := append([]byte{}, d.body...)
	tampered[len(tampered)-2] ^= 1
	if err := jobqueue.VerifyWebhookSignature(hook.Secret, tampered, d.header, 0); !errors.Is(err, jobqueue.ErrBadSignature) {
		t.Fatalf("a changed body: %v", err)
	}
	if err := jobqueue.VerifyWebhookSignature("whsec_another_secret_entirely", d.body, d.header, 0); !errors.Is(err, jobqueue.ErrBadSignature) {
		t.Fatalf("another secret: %v", err)
	}
	replayed := d.header.Clone()
	replayed.Set(jobqueue.TimestampHeader, strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10))
	if err := jobqueue.VerifyWebhookSignature(hook.Secret, d.body, replayed, 0); !errors.Is(err, jobqueue.ErrBadTimestampedSignature) {
		t.Fatalf("a changed timestamp: %v", err)
	}
	noTimestamp := d.header.Clone()
	noTimestamp.Del(jobqueue.TimestampHeader)
	if err := jobqueue.VerifyWebhookSignature(hook.Secret, d.body, noTimestamp, 0); !errors.Is(err, jobqueue.ErrBadTimestampedSignature) {
		t.Fatalf("no timestamp: %v", err)
	}
}

func TestVerifyWebhookSignature_RefusesAnOldDelivery(t *testing.T) {
	secret, body := "whsec_0123456789abcdef", []byte(`{"event":"job.completed"}`)
	sign := func(content []byte) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(content)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	signed := func(at time.Time) http.Header {
		ts := strconv.FormatInt(at.Unix(), 10)
		h := http.Header{}
		h.Set(jobqueue.SignatureHeader, sign(body))
		h.Set(jobqueue.TimestampHeader, ts)
		h.Set(jobqueue.TimestampedSignatureHeader, sign(append([]byte(ts+"."), body...)))
		return h
	}
	if err := jobqueue.VerifyWebhookSignature(secret, body, signed(time.Now().Add(-4*time.Minute)), 0); err != nil {
		t.Fatalf("4 minutes old, default tolerance 5: %v", err)
	}
	if err := jobqueue.VerifyWebhookSignature(secret, body, signed(time.Now().Add(-6*time.Minute)), 0); !errors.Is(err, jobqueue.ErrOutsideTolerance) {
		t.Fatalf("6 minutes old: %v", err)
	}
	if err := jobqueue.VerifyWebhookSignature(secret, body, signed(time.Now().Add(-time.Minute)), 30*time.Second); !errors.Is(err, jobqueue.ErrOutsideTolerance) {
		t.Fatalf("1 minute old, tolerance 30 s: %v", err)
	}
	if err := jobqueue.VerifyWebhookSignature(secret, body, signed(time.Now().Add(time.Hour)), 0); !errors.Is(err, jobqueue.ErrOutsideTolerance) {
		t.Fatalf("an hour ahead: %v", err)
	}
}

func TestWebhooks_DefaultEventsGetUpdateDeliveriesTestDelete(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, time.Minute)
	srv, got := receiver(t)
	hook := must(c.CreateWebhook(ctx, jobqueue.CreateWebhookRequest{URL: srv.URL, Secret: "a-secret-of-my-own-choosing"})).in(t)
	if hook.Secret != "" {
		t.Fatal("a chosen secret is echoed back")
	}
	wantEvents := map[string]bool{"job.completed": true, "job.failed": true, "job.dead": true}
	if len(hook.Events) != 3 || !wantEvents[hook.Events[0]] || !wantEvents[hook.Events[1]] || !wantEvents[hook.Events[2]] {
		t.Fatalf("default events: %v", hook.Events)
	}
	if list := must(c.ListWebhooks(ctx)).in(t); len(list) != 1 || list[0].ID != hook.ID || list[0].Secret != "" {
		t.Fatalf("list: %+v", list)
	}

	test := must(c.TestWebhook(ctx, hook.ID)).in(t)
	if test.DeliveryID == "" || test.Event != "webhook.test" {
		t.Fatalf("test: %+v", test)
	}
	d := next(t, got, "webhook.test")
	if d.header.Get(jobqueue.DeliveryIDHeader) != test.DeliveryID {
		t.Fatalf("X-Webhook-Id %q, want %q", d.header.Get(jobqueue.DeliveryIDHeader), test.DeliveryID)
	}
	if err := jobqueue.VerifyWebhookSignature("a-secret-of-my-own-choosing", d.body, d.header, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the test delivery logged as succeeded", func() (bool, string) {
		page, err := c.ListWebhookDeliveries(ctx, hook.ID, 10, 0)
		if err != nil {
			return false, err.Error()
		}
		if page.TotalCount != 1 || len(page.Items) != 1 {
			return false, "no delivery"
		}
		del := page.Items[0]
		ok := del.ID == test.DeliveryID && del.Delivered && del.Status == "succeeded" && len(del.AttemptLog) == 1 &&
			del.AttemptLog[0].StatusCode != nil && *del.AttemptLog[0].StatusCode == http.StatusNoContent
		return ok, del.Status
	})

	off, events := false, []string{"job.dead"}
	updated := must(c.UpdateWebhook(ctx, hook.ID, jobqueue.UpdateWebhookRequest{Enabled: &off, Events: &events})).in(t)
	if updated.Enabled || len(updated.Events) != 1 || updated.Events[0] != "job.dead" {
		t.Fatalf("updated: %+v", updated)
	}
	if again := must(c.GetWebhook(ctx, hook.ID)).in(t); again.Enabled || !again.UpdatedAt.After(again.CreatedAt) {
		t.Fatalf("get: %+v", again)
	}
	_, err := c.CreateWebhook(ctx, jobqueue.CreateWebhookRequest{URL: srv.URL, Events: []string{"job.exploded"}})
	if !jobqueue.IsInvalid(err) {
		t.Fatalf("an unknown event: %v", err)
	}

	if err := c.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, hook.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("deleted webhook: %v", err)
	}
}
