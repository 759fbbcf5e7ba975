using Dapper;
using JobQueue.Core.Cron;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class CronStoreTests : PostgresFixture
{
    private PostgresCronStore Cron => new(DataSource, Store);

    private static CronSchedule NewSchedule(string owner = "t1", string? name = null, string expression = "* * * * *", DateTime? nextRunAt = null, bool enabled = true)
    {
        var now = JobFactory.Now();
        var s = new CronSpec(name ?? "s-" + Guid.NewGuid().ToString("N"), "report", expression, "UTC", """{"n": 1}""", "default", 6, 4, null, """{"team": "a"}""", enabled)
            .ToSchedule(owner, now);
        return nextRunAt is null ? s : s with { NextRunAt = JobFactory.Truncate(nextRunAt.Value) };
    }

    private async Task<CronSchedule> InsertAsync(CronSchedule s)
    {
        Assert.That(await Cron.CronInsertAsync(s, Ct), Is.True);
        return s;
    }

    private async Task<long> JobsOfAsync(Guid scheduleId)
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs WHERE tags->>'cron_id' = @id", new { id = scheduleId.ToString() });
    }

    private static CronFiring Firing(CronSchedule s, DateTime now)
    {
        var (due, next, job) = s.FireAt(now);
        return new CronFiring(s.Id, due, next, job);
    }

    [Test]
    public async Task Insert_ThenGet_ReturnsTheScheduleAsWritten_ToItsOwnerAndAdminOnly()
    {
        var s = await InsertAsync(NewSchedule(owner: "acme"));

        var read = await Cron.CronGetAsync(s.Id, "acme", Ct);

        Assert.That(read, Is.EqualTo(s));
        Assert.That(await Cron.CronGetAsync(s.Id, "other", Ct), Is.Null);
        Assert.That(await Cron.CronGetAsync(s.Id, null, Ct), Is.EqualTo(s));
    }

    [Test]
    public async Task Names_AreUniquePerTenant_NotGlobally()
    {
        var name = "nightly-" + Guid.NewGuid().ToString("N");
        await InsertAsync(NewSchedule(owner: "a", name: name));

        Assert.That(await Cron.CronInsertAsync(NewSchedule(owner: "a", name: name), Ct), Is.False, "same tenant, same name");
        Assert.That(await Cron.CronInsertAsync(NewSchedule(owner: "b", name: name), Ct), Is.True, "another tenant may use the name");
    }

    [Test]
    public async Task List_Update_Delete_AreScopedToTheOwner()
    {
        var owner = "o-" + Guid.NewGuid().ToString("N");
        var mine = await InsertAsync(NewSchedule(owner: owner));
        var theirs = await InsertAsync(NewSchedule(owner: owner + "-x"));

        var listed = await Cron.CronListAsync(owner, Ct);
        var notMine = await Cron.CronUpdateAsync(theirs.Id, owner, s => s with { Priority = 1 }, Ct);
        var deletedTheirs = await Cron.CronDeleteAsync(theirs.Id, owner, Ct);

        Assert.That(listed.Select(s => s.Id), Is.EqualTo(new[] { mine.Id }));
        Assert.That(notMine.NotFound, Is.True);
        Assert.That(deletedTheirs, Is.False);
        Assert.That((await Cron.CronGetAsync(theirs.Id, null, Ct))!.Priority, Is.EqualTo(theirs.Priority));
        Assert.That(await Cron.CronDeleteAsync(mine.Id, owner, Ct), Is.True);
        Assert.That(await Cron.CronGetAsync(mine.Id, null, Ct), Is.Null);
    }

    [Test]
    public async Task Update_ToANameTheTenantAlreadyUses_IsReportedAsTaken()
    {
        var owner = "o-" + Guid.NewGuid().ToString("N");
        var a = await InsertAsync(NewSchedule(owner: owner, name: "a"));
        await InsertAsync(NewSchedule(owner: owner, name: "b"));

        var result = await Cron.CronUpdateAsync(a.Id, owner, s => s with { Name = "b" }, Ct);

        Assert.That(result.NameTaken, Is.True);
        Assert.That((await Cron.CronGetAsync(a.Id, owner, Ct))!.Name, Is.EqualTo("a"));
    }

    [Test]
    public async Task Fire_ByAFirerWithAStaleViewOfTheTick_LosesTheCompareAndSet_AndInsertsNoJob()
    {
        var now = JobFactory.Now();
        var s = await InsertAsync(NewSchedule(nextRunAt: now.AddSeconds(-5)));
        // Two replicas that both believe they lead both saw the same due tick.
        var first = Firing(s, now);
        var second = Firing(s, now);

        var won = await Cron.CronFireAsync([first], now, Ct);
        var lost = await Cron.CronFireAsync([second], now, Ct);

        Assert.That(won.Select(j => j.Id), Is.EqualTo(new[] { first.Job.Id }));
        Assert.That(lost, Is.Empty);
        Assert.That(await JobsOfAsync(s.Id), Is.EqualTo(1));
        var after = await Cron.CronGetAsync(s.Id, null, Ct);
        Assert.That(after!.LastRunAt, Is.EqualTo(s.NextRunAt));
        Assert.That(after.NextRunAt, Is.EqualTo(first.Next));
    }

    [Test]
    public async Task Fire_ConcurrentlyForTheSameTick_WithoutTheDueLock_InsertsExactlyOneJob()
    {
        var now = JobFactory.Now();
        var schedules = new List<CronSchedule>();
        for (var i = 0; i < 20; i++)
        {
            schedules.Add(await InsertAsync(NewSchedule(nextRunAt: now.AddSeconds(-1))));
        }

        // Each schedule's tick is fired by two firers at once, straight through the compare-and-set.
        var fired = await Task.WhenAll(schedules.SelectMany(s => new[] { Firing(s, now), Firing(s, now) })
            .Select(f => Task.Run(() => Cron.CronFireAsync([f], now, Ct))));

        Assert.That(fired.Sum(f => f.Count), Is.EqualTo(schedules.Count));
        foreach (var s in schedules)
        {
            Assert.That(await JobsOfAsync(s.Id), Is.EqualTo(1), $"schedule {s.Id}");
        }
    }

    [Test]
    public async Task FireDue_ByFourConcurrentFirers_FiresEachDueScheduleExactlyOnce_WithItsOwner()
    {
        var now = JobFactory.Now();
        var owner = "o-" + Guid.NewGuid().ToString("N");
        var due = new List<CronSchedule>();
        for (var i = 0; i < 30; i++)
        {
            due.Add(await InsertAsync(NewSchedule(owner: owner, nextRunAt: now.AddMinutes(-3))));
        }

        var disabled = await InsertAsync(NewSchedule(owner: owner, nextRunAt: now.AddMinutes(-3), enabled: false));
        var notYet = await InsertAsync(NewSchedule(owner: owner, nextRunAt: now.AddMinutes(5)));

        var fired = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Cron.CronFireDueAsync(new CronFireDueParams(now, 1000, s => Firing(s, now)), Ct))));

        var jobs = fired.SelectMany(f => f).ToList();
        Assert.That(jobs.Count(j => j.Owner == owner), Is.EqualTo(due.Count));
        foreach (var s in due)
        {
            Assert.That(await JobsOfAsync(s.Id), Is.EqualTo(1), $"schedule {s.Id}");
            var after = await Cron.CronGetAsync(s.Id, owner, Ct);
            Assert.That(after!.NextRunAt, Is.GreaterThan(now), "one job for the missed period; the next tick is after now");
        }

        Assert.That(await JobsOfAsync(disabled.Id), Is.Zero);
        Assert.That(await JobsOfAsync(notYet.Id), Is.Zero);
        var job = await GetAsync(jobs.First(j => j.Owner == owner).Id);
        Assert.That((job!.Owner, job.Type, job.Priority, job.MaxAttempts), Is.EqualTo((owner, "report", 6, 4)));
    }

    [Test]
    public async Task EarliestDue_IsTheSoonestTickOfAnEnabledSchedule()
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync("UPDATE cron_schedules SET enabled = false");
        var soon = JobFactory.Now().AddYears(5);
        await InsertAsync(NewSchedule(nextRunAt: soon.AddSeconds(-10), enabled: false));
        await InsertAsync(NewSchedule(nextRunAt: soon));
        await InsertAsync(NewSchedule(nextRunAt: soon.AddSeconds(10)));

        Assert.That(await Cron.CronEarliestDueAsync(Ct), Is.EqualTo(soon));
    }
}
