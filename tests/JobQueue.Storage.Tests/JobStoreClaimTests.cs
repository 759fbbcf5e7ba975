using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class JobStoreClaimTests : PostgresFixture
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Claim_StartsAnAttempt_OfPendingDueJobs()
    {
        var now = JobFactory.Now();
        var a = await JobFactory.CreateAsync(Store, new JobOpts { CreatedAt = now.AddSeconds(-1) }, Ct);
        var b = await JobFactory.CreateAsync(Store, new JobOpts { CreatedAt = now.AddSeconds(-1), Queue = QueueNames.Bulk }, Ct);

        var claimed = await Store.JobsClaimAsync(new JobsClaimParams([a.Id, b.Id], "w1", now, now + Lease), Ct);

        Assert.That(claimed.Select(c => c.Id), Is.EquivalentTo(new[] { a.Id, b.Id }));
        Assert.That(claimed.Select(c => c.Attempts), Is.All.EqualTo(1));
        var read = await GetAsync(a.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Running));
            Assert.That(read.Attempts, Is.EqualTo(1));
            Assert.That(read.WorkerId, Is.EqualTo("w1"));
            Assert.That(read.LeaseUntil, Is.EqualTo(now + Lease));
            Assert.That(read.StartedAt, Is.EqualTo(now));
        }
    }

    [Test]
    public async Task Claim_ReturnsNothing_WhenTheJobsAreAlreadyClaimed()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);

        var second = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w2", now, now + Lease), Ct);

        Assert.That(second, Is.Empty);
        var read = await GetAsync(job.Id);
        Assert.That((read!.WorkerId, read.Attempts), Is.EqualTo(("w1", 1)), "the first claim stands");
    }

    [Test]
    public async Task Claim_SkipsJobsAlreadyClaimed_WhenTwoWorkersCompete()
    {
        var now = JobFactory.Now();
        var jobs = Enumerable.Range(0, 50).Select(_ => JobFactory.New(new JobOpts { CreatedAt = now })).ToList();
        await Store.JobsInsertAsync(jobs, Ct);
        var ids = jobs.Select(j => j.Id).ToArray();

        var results = await Task.WhenAll(
            Store.JobsClaimAsync(new JobsClaimParams(ids, "w1", now, now + Lease), Ct),
            Store.JobsClaimAsync(new JobsClaimParams(ids, "w2", now, now + Lease), Ct));

        var all = results.SelectMany(r => r.Select(c => c.Id)).ToList();
        Assert.That(all, Is.EquivalentTo(ids), "every job claimed exactly once across both workers");
    }

    [Test]
    public async Task Claim_SkipsACancelledJob()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateAsync(Store, new JobOpts { CreatedAt = now }, Ct);
        await Store.JobsCancelAsync(job.Id, job.Owner, now, Ct);

        var claimed = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w1", now, now + Lease), Ct);

        Assert.That(claimed, Is.Empty);
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Cancelled));
    }

    [Test]
    public async Task Claim_SkipsAJobScheduledInTheFuture()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateAsync(Store, new JobOpts { CreatedAt = now, ScheduledAt = now.AddMinutes(5) }, Ct);

        var claimed = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w1", now, now + Lease), Ct);

        Assert.That(claimed, Is.Empty);
        Assert.That((await GetAsync(job.Id))!.Status, Is.EqualTo(JobStatus.Pending));
    }

    [Test]
    public async Task Claim_TakesAFailedJob_OnceItsRetryTimeHasCome()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        var retryAt = now.AddMinutes(1);
        await Store.JobsFailAsync(new JobsFailParams(job.Id, 1, "w1", "boom", retryAt), Ct);

        var early = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w2", now, now + Lease), Ct);
        var due = await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w2", retryAt, retryAt + Lease), Ct);

        Assert.That(early, Is.Empty);
        Assert.That(due.Select(c => (c.Id, c.Attempts)), Is.EqualTo(new[] { (job.Id, 2) }));
    }

    [Test]
    public async Task ExtendLeases_MovesTheLease_OnlyForTheHoldingWorker()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        var later = now.AddMinutes(2);

        var byOther = await Store.JobsExtendLeasesAsync([job.Id], "w2", later, Ct);
        var byHolder = await Store.JobsExtendLeasesAsync([job.Id], "w1", later, Ct);

        Assert.That(byOther, Is.Empty);
        Assert.That(byHolder, Is.EqualTo(new[] { (job.Id, false) }));
        Assert.That((await GetAsync(job.Id))!.LeaseUntil, Is.EqualTo(later));
    }
}
