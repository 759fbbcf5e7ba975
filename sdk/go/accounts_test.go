package jobqueue_test

import (
	"strings"
	"testing"
	"time"

	jobqueue "github.com/jobqueue/jobqueue/sdk/go"
)

func TestAccounts_LoginKeysAndUsage(t *testing.T) {
	c := newTenant(t)
	ctx := ctxFor(t, 2*time.Minute)
	if c.reg.Token == "" || !strings.HasPrefix(c.reg.APIKey.Key, "qly_") || c.reg.APIKey.Tier != "free" || c.reg.User.Email != c.email {
		t.Fatalf("registration: %+v", c.reg)
	}
	anonymous := jobqueue.New(baseURL, jobqueue.WithMaxRetries(60))
	if _, err := anonymous.Register(ctx, c.email, c.password); !jobqueue.IsConflict(err) {
		t.Fatalf("registering the e-mail again: %v", err)
	}
	if _, err := anonymous.Login(ctx, c.email, "not the password"); !jobqueue.IsUnauthorized(err) || !strings.Contains(err.Error(), "invalid email or password") {
		t.Fatalf("a wrong password: %v", err)
	}
	session := must(anonymous.Login(ctx, c.email, c.password)).in(t)
	if session.Token == "" || session.User.ID != c.reg.User.ID || len(session.Keys) != 1 || session.Keys[0].ID != c.reg.APIKey.ID {
		t.Fatalf("session: %+v", session)
	}
	withToken := jobqueue.New(baseURL, jobqueue.WithToken(session.Token), jobqueue.WithMaxRetries(10))

	second := must(withToken.CreateKey(ctx, "ci")).in(t)
	if second.Name != "ci" || !strings.HasPrefix(second.Key, "qly_") || second.Tier != "free" || second.Warning == "" {
		t.Fatalf("created key: %+v", second)
	}
	withSecond := jobqueue.New(baseURL, jobqueue.WithAPIKey(second.Key), jobqueue.WithMaxRetries(10))
	job := must(withSecond.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop"})).in(t)
	if seen := must(withToken.GetJob(ctx, job.ID)).in(t); seen.Tenant != c.reg.User.ID {
		t.Fatalf("the second key's job belongs to %q", seen.Tenant)
	}
	keys := must(c.ListKeys(ctx)).in(t)
	if len(keys) != 2 || keys[0].ID != c.reg.APIKey.ID || keys[1].ID != second.ID || !keys[1].Enabled {
		t.Fatalf("keys: %+v", keys)
	}

	usage := must(c.GetUsage(ctx)).in(t)
	if usage.Tier != "free" || usage.JobsUsed != 1 || usage.JobsLimit != 1000 || usage.LimitReached || usage.KeyID == nil || *usage.KeyID != c.reg.APIKey.ID {
		t.Fatalf("usage: %+v", usage)
	}
	if portal := must(withToken.GetPortalUsage(ctx)).in(t); portal.JobsUsed != 1 {
		t.Fatalf("portal usage: %+v", portal)
	}
	if _, err := c.GetPortalUsage(ctx); !jobqueue.IsUnauthorized(err) {
		t.Fatalf("portal usage with an API key: %v", err)
	}

	if err := withToken.DeleteKey(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := withSecond.GetStats(ctx); !jobqueue.IsUnauthorized(err) {
		t.Fatalf("a deleted key: %v", err)
	}
	if err := withToken.DeleteKey(ctx, second.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("deleting it again: %v", err)
	}

	replacement := must(withToken.RegenerateKey(ctx)).in(t)
	if replacement.Key == c.reg.APIKey.Key || !strings.HasPrefix(replacement.Key, "qly_") {
		t.Fatalf("regenerated: %+v", replacement)
	}
	if _, err := c.GetStats(ctx); !jobqueue.IsUnauthorized(err) {
		t.Fatalf("the replaced key: %v", err)
	}
	must(jobqueue.New(baseURL, jobqueue.WithAPIKey(replacement.Key)).GetStats(ctx)).in(t)

	if msg := must(anonymous.ForgotPassword(ctx, c.email)).in(t); !strings.Contains(msg, "reset") {
		t.Fatalf("forgot-password: %q", msg)
	}
	if _, err := anonymous.ResetPassword(ctx, "not-a-token", "another password"); !jobqueue.IsInvalid(err) {
		t.Fatalf("a bad reset token: %v", err)
	}
}

func TestKeys_AreRefusedToTheStaticAndAdminKeys(t *testing.T) {
	if adminKey == "" {
		t.Fatal("JOBQUEUE_ADMIN_KEY is not set (the dev system's is dev-admin-key)")
	}
	ctx := ctxFor(t, time.Minute)
	admin := jobqueue.New(baseURL, jobqueue.WithAPIKey(adminKey))
	if _, err := admin.ListKeys(ctx); !jobqueue.IsForbidden(err) {
		t.Fatalf("the admin key listing account keys: %v", err)
	}
	c := newTenant(t)
	job := must(c.Enqueue(ctx, jobqueue.EnqueueRequest{Type: "noop"})).in(t)
	if seen := must(admin.GetJob(ctx, job.ID)).in(t); seen.Tenant != c.reg.User.ID {
		t.Fatalf("the admin key sees the job as %q's", seen.Tenant)
	}
	other := newTenant(t)
	if _, err := other.GetJob(ctx, job.ID); !jobqueue.IsNotFound(err) {
		t.Fatalf("another tenant's job: %v", err)
	}
}
