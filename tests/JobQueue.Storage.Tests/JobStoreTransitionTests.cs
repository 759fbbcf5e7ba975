using System.Text.Json.Nodes;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class JobStoreTransitionTests : PostgresFixture
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Complete_MarksTheJobCompletedWithItsResult()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        var end = now.AddSeconds(2);

        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, """{"sent":3,"ids":["a","b"]}""")], "w1", end, Ct);

        Assert.That(done, Is.EqualTo(new[] { job.Id }));
        var read = await GetAsync(job.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Completed));
            Assert.That(read.CompletedAt, Is.EqualTo(end));
            Assert.That(read.LeaseUntil, Is.Null);
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read.Result!), JsonNode.Parse("""{"sent":3,"ids":["a","b"]}""")), Is.True, read.Result);
        }
    }

    [Test]
    public async Task Complete_SetsExpiresAt_FromTheJobsTtl()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { TtlSeconds = 60 }, Ct);

        await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w1", now, Ct);

        Assert.That((await GetAsync(job.Id))!.ExpiresAt, Is.EqualTo(now.AddSeconds(60)));
    }

    [Test]
    public async Task Complete_IsRejected_ForTheWrongAttempt()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 2, null)], "w1", now, Ct);

        Assert.That(done, Is.Empty);
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Running));
    }

    [Test]
    public async Task Complete_IsRejected_FromAnotherWorker()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w2", now, Ct);

        Assert.That(done, Is.Empty);
    }

    [Test]
    public async Task Complete_IsRejected_WhenLeaseExpiredAndJobWasRescued()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(1), ct: Ct);

        var rescued = await Store.JobsRescueExpiredAsync(now.AddSeconds(2), 1000, Ct);
        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, "{}")], "w1", now.AddSeconds(3), Ct);

        Assert.That(rescued.Select(r => r.Id), Does.Contain(job.Id));
        Assert.That(done, Is.Empty, "the late answer of a rescued attempt is refused");
        var read = await GetAsync(job.Id);
        Assert.That((read!.Status, read.Attempts, read.WorkerId), Is.EqualTo((JobStatus.Pending, 1, (string?)null)), "the lost attempt still counts");
    }

    [Test]
    public async Task Complete_IsRejected_ForTheOldAttempt_AfterTheRescuedJobRunsAgain()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(1), ct: Ct);
        await Store.JobsRescueExpiredAsync(now.AddSeconds(2), 1000, Ct);
        var again = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w2", now.AddSeconds(3), now.AddSeconds(33)), Ct);

        var late = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w1", now.AddSeconds(4), Ct);
        var current = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 2, null)], "w2", now.AddSeconds(4), Ct);

        Assert.That(again.Single().Attempts, Is.EqualTo(2));
        Assert.That(late, Is.Empty);
        Assert.That(current, Is.EqualTo(new[] { job.Id }));
    }

    [Test]
    public async Task RescueExpired_LeavesJobsWhoseLeaseIsStillValid()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddMinutes(10), ct: Ct);

        var rescued = await Store.JobsRescueExpiredAsync(now.AddSeconds(1), 1000, Ct);

        Assert.That(rescued.Select(r => r.Id), Does.Not.Contain(job.Id));
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Running));
    }

    [Test]
    public async Task ExpiredOnLastAttempt_ListsJobsWithNoAttemptsLeft_InsteadOfRescuingThem()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(1), new JobOpts { MaxAttempts = 1 }, Ct);

        var rescued = await Store.JobsRescueExpiredAsync(now.AddSeconds(2), 1000, Ct);
        var spent = await Store.JobsExpiredOnLastAttemptAsync(now.AddSeconds(2), 1000, Ct);

        Assert.That(rescued.Select(r => r.Id), Does.Not.Contain(job.Id));
        Assert.That(spent, Does.Contain((job.Id, 1)));
    }

    [Test]
    public async Task Fail_MarksTheJobFailed_WaitingUntilTheRetryTime()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { Priority = 7 }, Ct);
        var retryAt = now.AddSeconds(10);

        var entry = await Store.JobsFailAsync(new JobsFailParams(job.Id, 1, "w1", "smtp timeout", retryAt), Ct);

        Assert.That(entry, Is.EqualTo(new Redis.QueueEntry(job.Id, job.Type, QueueNames.Default, 7, retryAt)));
        var read = await GetAsync(job.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Failed));
            Assert.That(read.ScheduledAt, Is.EqualTo(retryAt));
            Assert.That(read.ErrorMessage, Is.EqualTo("smtp timeout"));
            Assert.That(read.LeaseUntil, Is.Null);
        }
    }

    [Test]
    public async Task Fail_IsRejected_ForTheWrongAttempt()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var entry = await Store.JobsFailAsync(new JobsFailParams(job.Id, 3, "w1", "x", now), Ct);

        Assert.That(entry, Is.Null);
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Running));
    }

    [Test]
    public async Task Cancel_CancelsAPendingJob()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateAsync(Store, new JobOpts { Queue = QueueNames.Bulk }, Ct);

        var (outcome, queue) = await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);

        Assert.That((outcome, queue), Is.EqualTo((CancelOutcome.Cancelled, (string?)QueueNames.Bulk)));
        var read = await GetAsync(job.Id);
        Assert.That((read!.Status, read.CompletedAt), Is.EqualTo((JobStatus.Cancelled, (DateTime?)now)));
    }

    [Test]
    public async Task Cancel_CancelsAFailedJobWaitingForItsRetry()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        await Store.JobsFailAsync(new JobsFailParams(job.Id, 1, "w1", "x", now.AddMinutes(1)), Ct);

        var (outcome, _) = await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);

        Assert.That(outcome, Is.EqualTo(CancelOutcome.Cancelled));
    }

    [Test]
    public async Task Cancel_FlagsARunningJob_AndTheHeartbeatReportsIt()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var (outcome, _) = await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);
        var heartbeat = await Store.JobsExtendLeasesAsync([job.Id], "w1", now.AddMinutes(1), Ct);

        Assert.That(outcome, Is.EqualTo(CancelOutcome.CancelRequested));
        Assert.That(heartbeat, Is.EqualTo(new[] { (job.Id, true) }));
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Running), "the worker ends it");
    }

    [Test]
    public async Task MarkCancelled_EndsTheRunningAttemptAsCancelled()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);

        var wrongAttempt = await Store.JobsMarkCancelledAsync(job.Id, 2, "w1", now, "cancelled by user", Ct);
        var ended = await Store.JobsMarkCancelledAsync(job.Id, 1, "w1", now, "cancelled by user", Ct);

        Assert.That((wrongAttempt, ended), Is.EqualTo((false, true)));
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Cancelled));
    }

    [Test]
    public async Task Cancel_AnswersAlreadyEnded_ForACompletedJob()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w1", now, Ct);

        var (outcome, _) = await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);

        Assert.That(outcome, Is.EqualTo(CancelOutcome.AlreadyEnded));
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Completed));
    }

    [Test]
    public async Task Cancel_AnswersNotFound_ForAnotherOwnersJob()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateAsync(Store, new JobOpts { Owner = "t1" }, Ct);

        var (outcome, _) = await Store.JobsCancelAsync(job.Id, "t2", now, Ct);

        Assert.That(outcome, Is.EqualTo(CancelOutcome.NotFound));
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Pending));
    }

    [Test]
    public async Task HandBack_ReturnsARunningJobToPending_WithoutCountingTheAttempt()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { Queue = QueueNames.Critical, Priority = 9 }, Ct);
        var at = now.AddSeconds(5);

        var entries = await Store.JobsHandBackAsync([(job.Id, 1)], "w1", at, Ct);

        Assert.That(entries, Is.EqualTo(new[] { new Redis.QueueEntry(job.Id, job.Type, QueueNames.Critical, 9, at) }));
        var read = await GetAsync(job.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Pending));
            Assert.That(read.Attempts, Is.Zero);
            Assert.That(read.WorkerId, Is.Null);
            Assert.That(read.LeaseUntil, Is.Null);
        }
    }

    [Test]
    public async Task HandBack_IgnoresAJobHeldByAnotherWorker()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var entries = await Store.JobsHandBackAsync([(job.Id, 1)], "w2", now, Ct);

        Assert.That(entries, Is.Empty);
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Running));
    }
}
