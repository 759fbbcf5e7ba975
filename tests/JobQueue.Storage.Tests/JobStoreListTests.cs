using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class JobStoreListTests : PostgresFixture
{
    [Test]
    public async Task List_FiltersByStatusTypeQueueAndTags_AndCountsTheMatches()
    {
        var owner = JobFactory.NewOwner();
        var now = JobFactory.Now();
        var emailProd = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, Type = "email", Tags = """{"env":"prod","team":"a"}""" }, Ct);
        var emailDev = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, Type = "email", Tags = """{"env":"dev"}""" }, Ct);
        var reportBulk = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, Type = "report", Queue = QueueNames.Bulk, Tags = """{"env":"prod"}""" }, Ct);
        var cancelled = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, Type = "report" }, Ct);
        await Store.JobsCancelAsync(cancelled.Id, owner, now, Ct);
        await JobFactory.CreateAsync(Store, new JobOpts { Owner = JobFactory.NewOwner(), Type = "email" }, Ct);

        var all = await Store.JobsListAsync(new JobListFilter(owner), 100, 0, Ct);
        var byStatus = await Store.JobsListAsync(new JobListFilter(owner, Status: "cancelled"), 100, 0, Ct);
        var byType = await Store.JobsListAsync(new JobListFilter(owner, Type: "email"), 100, 0, Ct);
        var byQueue = await Store.JobsListAsync(new JobListFilter(owner, Queue: QueueNames.Bulk), 100, 0, Ct);
        var byTags = await Store.JobsListAsync(new JobListFilter(owner, TagsJson: """{"env":"prod"}"""), 100, 0, Ct);
        var byTwoTags = await Store.JobsListAsync(new JobListFilter(owner, TagsJson: """{"env":"prod","team":"a"}"""), 100, 0, Ct);
        var combined = await Store.JobsListAsync(new JobListFilter(owner, Status: "pending", Type: "report"), 100, 0, Ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Total, Is.EqualTo(4), "other tenants' jobs are not counted");
            Assert.That(Ids(byStatus), Is.EquivalentTo(new[] { cancelled.Id }));
            Assert.That(Ids(byType), Is.EquivalentTo(new[] { emailProd.Id, emailDev.Id }));
            Assert.That(byType.Total, Is.EqualTo(2));
            Assert.That(Ids(byQueue), Is.EquivalentTo(new[] { reportBulk.Id }));
            Assert.That(Ids(byTags), Is.EquivalentTo(new[] { emailProd.Id, reportBulk.Id }));
            Assert.That(Ids(byTwoTags), Is.EquivalentTo(new[] { emailProd.Id }));
            Assert.That(Ids(combined), Is.EquivalentTo(new[] { reportBulk.Id }));
        }
    }

    [Test]
    public async Task List_ReturnsEveryTenant_ForAnAdmin()
    {
        var a = await JobFactory.CreateAsync(Store, new JobOpts { Owner = JobFactory.NewOwner(), Type = "admin.visible" }, Ct);
        var b = await JobFactory.CreateAsync(Store, new JobOpts { Owner = JobFactory.NewOwner(), Type = "admin.visible" }, Ct);

        var (items, total) = await Store.JobsListAsync(new JobListFilter(null, Type: "admin.visible"), 100, 0, Ct);

        Assert.That(items.Select(j => j.Id), Is.EquivalentTo(new[] { a.Id, b.Id }));
        Assert.That(total, Is.EqualTo(2));
    }

    [Test]
    public async Task List_PagesNewestFirst_WithTheTotalOnEveryPage()
    {
        var owner = JobFactory.NewOwner();
        var start = JobFactory.Now().AddMinutes(-1);
        var jobs = Enumerable.Range(0, 5).Select(i => JobFactory.New(new JobOpts { Owner = owner, CreatedAt = start.AddSeconds(i) })).ToList();
        await Store.JobsInsertAsync(jobs, Ct);

        var first = await Store.JobsListAsync(new JobListFilter(owner), 2, 0, Ct);
        var last = await Store.JobsListAsync(new JobListFilter(owner), 2, 4, Ct);

        Assert.That(Ids(first), Is.EqualTo(new[] { jobs[4].Id, jobs[3].Id }));
        Assert.That(Ids(last), Is.EqualTo(new[] { jobs[0].Id }));
        Assert.That((first.Total, last.Total), Is.EqualTo((5L, 5L)));
    }

    [Test]
    public async Task List_ReturnsNoItemsButTheTotal_WhenTheOffsetIsPastTheEnd()
    {
        var owner = JobFactory.NewOwner();
        await Store.JobsInsertAsync([JobFactory.New(new JobOpts { Owner = owner }), JobFactory.New(new JobOpts { Owner = owner }), JobFactory.New(new JobOpts { Owner = owner })], Ct);

        var (items, total) = await Store.JobsListAsync(new JobListFilter(owner), 10, 50, Ct);

        Assert.That(items, Is.Empty);
        Assert.That(total, Is.EqualTo(3));
    }

    [Test]
    public async Task ListAfter_PagesThroughEveryJobOnce_InCreatedAtAndIdOrder_WhileNewJobsArrive()
    {
        var owner = JobFactory.NewOwner();
        var start = JobFactory.Now().AddMinutes(-10);
        // Groups of three share a created_at, so the id tie-break is exercised.
        var jobs = Enumerable.Range(0, 25).Select(i => JobFactory.New(new JobOpts { Owner = owner, CreatedAt = start.AddMilliseconds(i / 3) })).ToList();
        await Store.JobsInsertAsync(jobs, Ct);
        var expected = jobs
            .OrderByDescending(j => j.CreatedAt)
            .ThenByDescending(j => j.Id.ToString("D"), StringComparer.Ordinal) // Postgres orders uuids by their bytes, as the text reads
            .Select(j => j.Id)
            .ToList();

        var seen = new List<Guid>();
        (DateTime, Guid)? cursor = null;
        for (var page = 0; page < 10; page++)
        {
            var rows = await Store.JobsListAfterAsync(new JobListFilter(owner), cursor, 10, Ct);
            seen.AddRange(rows.Select(j => j.Id));
            if (rows.Count < 10)
            {
                break;
            }

            cursor = (rows[^1].CreatedAt, rows[^1].Id);
            // A newer job arrives between pages: it sorts before every cursor, so it neither shows up nor shifts pages.
            await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner }, Ct);
        }

        Assert.That(seen, Is.EqualTo(expected));
    }

    [Test]
    public async Task Purge_DeletesOnlyTheOwnersTerminalJobsThatEndedBeforeTheTime()
    {
        var owner = JobFactory.NewOwner();
        var other = JobFactory.NewOwner();
        var now = JobFactory.Now();
        var oldEnd = now.AddHours(-2);
        var before = now.AddHours(-1);

        var oldCompleted = await RunAndCompleteAsync(owner, oldEnd);
        var recentCompleted = await RunAndCompleteAsync(owner, now);
        var oldCancelled = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, CreatedAt = oldEnd.AddMinutes(-1) }, Ct);
        await Store.JobsCancelAsync(oldCancelled.Id, owner, oldEnd, Ct);
        var oldDead = await JobFactory.CreateRunningAsync(Store, "w1", oldEnd, oldEnd.AddSeconds(30), new JobOpts { Owner = owner, MaxAttempts = 1 }, Ct);
        await Store.JobsKillAsync(new JobsKillParams(oldDead.Id, 1, "w1", "x", oldEnd, TimeSpan.Zero), Ct);
        var oldPending = await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner, CreatedAt = oldEnd }, Ct);
        var oldRunning = await JobFactory.CreateRunningAsync(Store, "w1", oldEnd, now.AddMinutes(5), new JobOpts { Owner = owner }, Ct);
        var othersCompleted = await RunAndCompleteAsync(other, oldEnd);

        var deleted = await Store.JobsPurgeAsync(owner, before, Ct);

        Assert.That(deleted, Is.EqualTo(3));
        var left = Ids(await Store.JobsListAsync(new JobListFilter(owner), 100, 0, Ct));
        Assert.That(left, Is.EquivalentTo(new[] { recentCompleted.Id, oldPending.Id, oldRunning.Id }));
        Assert.That(await GetAsync(othersCompleted.Id), Is.Not.Null, "another tenant's job stays");
        Assert.That(await GetAsync(oldCompleted.Id), Is.Null);
    }

    [Test]
    public async Task PurgeExpired_DeletesJobsWhoseTtlRanOut()
    {
        var owner = JobFactory.NewOwner();
        var now = JobFactory.Now();
        var expired = await RunAndCompleteAsync(owner, now.AddHours(-2), ttlSeconds: 60);
        var alive = await RunAndCompleteAsync(owner, now, ttlSeconds: 3600);
        var noTtl = await RunAndCompleteAsync(owner, now.AddHours(-2));

        var (jobs, _) = await Store.PurgeExpiredAsync(now, 1000, Ct);

        Assert.That(jobs, Is.GreaterThanOrEqualTo(1));
        Assert.That(await GetAsync(expired.Id), Is.Null);
        Assert.That(await GetAsync(alive.Id), Is.Not.Null);
        Assert.That(await GetAsync(noTtl.Id), Is.Not.Null);
    }

    [Test]
    public async Task Stats_CountsTheOwnersJobsByStatus()
    {
        var owner = JobFactory.NewOwner();
        var now = JobFactory.Now();
        await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner }, Ct);
        await JobFactory.CreateAsync(Store, new JobOpts { Owner = owner }, Ct);
        await RunAndCompleteAsync(owner, now);
        await JobFactory.CreateRunningAsync(Store, "w1", now, now.AddMinutes(1), new JobOpts { Owner = owner }, Ct);

        var stats = await Store.JobsStatsAsync(owner, now.AddSeconds(1), TimeSpan.FromSeconds(30), Ct);

        Assert.That((stats.TotalJobs, stats.Pending, stats.Running, stats.Completed, stats.JobsPerMinute), Is.EqualTo((4L, 2L, 1L, 1L, 1L)));
    }

    private static Guid[] Ids((IReadOnlyList<Job> Items, long Total) page) => page.Items.Select(j => j.Id).ToArray();

    private async Task<Job> RunAndCompleteAsync(string owner, DateTime at, int? ttlSeconds = null)
    {
        var job = await JobFactory.CreateRunningAsync(Store, "w1", at, at.AddSeconds(30), new JobOpts { Owner = owner, TtlSeconds = ttlSeconds }, Ct);
        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w1", at, Ct);
        Assert.That(done, Has.Count.EqualTo(1), "setup: completion refused");
        return job;
    }
}
