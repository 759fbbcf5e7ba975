using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class JobStoreDlqTests : PostgresFixture
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    [Test]
    public async Task Kill_MarksTheJobDead_AndWritesOneDlqEntry()
    {
        var owner = JobFactory.NewOwner();
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(30), new JobOpts { Owner = owner, MaxAttempts = 1, Tags = """{"k":"v"}""" }, Ct);

        var entryId = await Store.JobsKillAsync(new JobsKillParams(job.Id, 1, "w1", "fatal: bad payload", now, Retention), Ct);

        Assert.That(entryId, Is.Not.Null);
        var read = await GetAsync(job.Id);
        Assert.That((read!.Status, read.ErrorMessage), Is.EqualTo((JobStatus.Dead, (string?)"fatal: bad payload")));
        var (items, total) = await Store.DlqListAsync(owner, includeRequeued: false, 10, 0, Ct);
        Assert.That(total, Is.EqualTo(1));
        var entry = items.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Id, Is.EqualTo(entryId));
            Assert.That(entry.JobId, Is.EqualTo(job.Id));
            Assert.That(entry.TotalAttempts, Is.EqualTo(1));
            Assert.That(entry.LastError, Is.EqualTo("fatal: bad payload"));
            Assert.That(entry.DiedAt, Is.EqualTo(now));
            Assert.That(entry.ExpiresAt, Is.EqualTo(now + Retention));
            Assert.That(entry.OriginalCreatedAt, Is.EqualTo(job.CreatedAt));
            Assert.That(entry.Requeued, Is.False);
        }
    }

    [Test]
    public async Task Kill_IsRejected_ForTheWrongAttempt_AndWritesNoEntry()
    {
        var owner = JobFactory.NewOwner();
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(30), new JobOpts { Owner = owner }, Ct);

        var entryId = await Store.JobsKillAsync(new JobsKillParams(job.Id, 2, "w1", "x", now, Retention), Ct);

        Assert.That(entryId, Is.Null);
        Assert.That((await Store.DlqListAsync(owner, true, 10, 0, Ct)).Total, Is.Zero);
    }

    [Test]
    public async Task DlqList_IsScopedToTheOwner()
    {
        var owner = JobFactory.NewOwner();
        await KillNewJobAsync(owner);

        var (_, forOther) = await Store.DlqListAsync(JobFactory.NewOwner(), true, 10, 0, Ct);
        var (adminItems, _) = await Store.DlqListAsync(null, true, 100, 0, Ct);

        Assert.That(forOther, Is.Zero);
        Assert.That(adminItems.Select(e => e.Owner), Does.Contain(owner));
    }

    [Test]
    public async Task DlqRequeue_MakesANewPendingJobLinkedToTheEntry()
    {
        var owner = JobFactory.NewOwner();
        var (job, entryId) = await KillNewJobAsync(owner);
        var now = JobFactory.Now();

        var result = await Store.DlqRequeueAsync(entryId, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner, Type = e.Type, Payload = e.Payload, CreatedAt = now }), now, Ct);

        Assert.That((result.NotFound, result.AlreadyRequeued), Is.EqualTo((false, false)));
        var newJob = await GetAsync(result.NewJob!.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(newJob, Is.Not.Null);
            Assert.That(newJob!.Id, Is.Not.EqualTo(job.Id));
            Assert.That(newJob.Status, Is.EqualTo(JobStatus.Pending));
            Assert.That(newJob.RequeuedFrom, Is.EqualTo(entryId));
            Assert.That(newJob.Type, Is.EqualTo(job.Type));
            Assert.That(result.Entry!.NewJobId, Is.EqualTo(newJob.Id));
        }

        var (listed, _) = await Store.DlqListAsync(owner, includeRequeued: true, 10, 0, Ct);
        Assert.That(listed.Single().Requeued, Is.True);
        Assert.That((await Store.DlqListAsync(owner, includeRequeued: false, 10, 0, Ct)).Total, Is.Zero);
    }

    [Test]
    public async Task DlqRequeue_AnswersAlreadyRequeued_TheSecondTime()
    {
        var owner = JobFactory.NewOwner();
        var (_, entryId) = await KillNewJobAsync(owner);
        var now = JobFactory.Now();

        await Store.DlqRequeueAsync(entryId, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner }), now, Ct);
        var second = await Store.DlqRequeueAsync(entryId, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner }), now, Ct);

        Assert.That((second.NotFound, second.AlreadyRequeued, second.NewJob), Is.EqualTo((false, true, (Job?)null)));
    }

    [Test]
    public async Task DlqRequeue_MakesOneJob_WhenTwoRequeuesRace()
    {
        var owner = JobFactory.NewOwner();
        var (_, entryId) = await KillNewJobAsync(owner);
        var now = JobFactory.Now();

        var results = await Task.WhenAll(
            Store.DlqRequeueAsync(entryId, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner }), now, Ct),
            Store.DlqRequeueAsync(entryId, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner }), now, Ct));

        Assert.That(results.Count(r => r.NewJob is not null), Is.EqualTo(1));
        Assert.That(results.Count(r => r.AlreadyRequeued), Is.EqualTo(1));
    }

    [Test]
    public async Task DlqRequeue_AnswersNotFound_ForAnUnknownEntry()
    {
        var result = await Store.DlqRequeueAsync(Guid.CreateVersion7(), null, e => JobFactory.New(), JobFactory.Now(), Ct);

        Assert.That((result.NotFound, result.AlreadyRequeued), Is.EqualTo((true, false)));
    }

    [Test]
    public async Task DlqRequeue_AnswersNotFound_ForAnotherOwnersEntry()
    {
        var (_, entryId) = await KillNewJobAsync(JobFactory.NewOwner());

        var result = await Store.DlqRequeueAsync(entryId, JobFactory.NewOwner(), e => JobFactory.New(), JobFactory.Now(), Ct);

        Assert.That(result.NotFound, Is.True);
    }

    [Test]
    public async Task Retry_OfADeadJob_ResetsItsAttempts_AndMarksItsDlqEntryRequeued()
    {
        var owner = JobFactory.NewOwner();
        var (job, entryId) = await KillNewJobAsync(owner);
        var now = JobFactory.Now();

        var (retried, status) = await Store.JobsRetryAsync(job.Id, owner, now, Ct);

        Assert.That(status, Is.EqualTo("pending"));
        Assert.That(retried, Is.Not.Null);
        var read = await GetAsync(job.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Pending));
            Assert.That(read.Attempts, Is.Zero);
            Assert.That(read.ScheduledAt, Is.EqualTo(now));
            Assert.That(read.CompletedAt, Is.Null);
        }

        var entry = (await Store.DlqListAsync(owner, includeRequeued: true, 10, 0, Ct)).Items.Single();
        Assert.That((entry.Id, entry.Requeued, entry.NewJobId), Is.EqualTo((entryId, true, (Guid?)job.Id)));
    }

    [Test]
    public async Task Retry_OfAPendingJob_IsRefused_WithItsStatus()
    {
        var job = await JobFactory.CreateAsync(Store, ct: Ct);

        var (retried, status) = await Store.JobsRetryAsync(job.Id, job.Owner, JobFactory.Now(), Ct);

        Assert.That((retried, status), Is.EqualTo(((Job?)null, (string?)"pending")));
    }

    [Test]
    public async Task PurgeExpired_DeletesDlqEntriesPastRetention_RequeuedOrNot()
    {
        var owner = JobFactory.NewOwner();
        var longAgo = JobFactory.Now().AddDays(-40);
        await KillNewJobAsync(owner, longAgo);
        var (_, requeued) = await KillNewJobAsync(owner, longAgo);
        await Store.DlqRequeueAsync(requeued, owner, e => JobFactory.New(new JobOpts { Owner = e.Owner }), JobFactory.Now(), Ct);
        var (_, fresh) = await KillNewJobAsync(owner);

        await Store.PurgeExpiredAsync(JobFactory.Now(), 1000, Ct);

        var left = (await Store.DlqListAsync(owner, includeRequeued: true, 10, 0, Ct)).Items.Select(e => e.Id);
        // An entry is kept until requeued or expired: past retention it goes either way (its new job lives on).
        Assert.That(left, Is.EquivalentTo(new[] { fresh }));
    }

    private async Task<(Job Job, Guid EntryId)> KillNewJobAsync(string owner, DateTime? at = null)
    {
        var now = at ?? JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddSeconds(30), new JobOpts { Owner = owner, MaxAttempts = 1 }, Ct);
        var entryId = await Store.JobsKillAsync(new JobsKillParams(job.Id, 1, "w1", "boom", now, Retention), Ct);
        return (job, entryId ?? throw new InvalidOperationException("setup: kill refused"));
    }
}
