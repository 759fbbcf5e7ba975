using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using NUnit.Framework;
using StackExchange.Redis;
using static JobQueue.Testing.Polling;

namespace JobQueue.Storage.Tests;

/// <summary>The Redis dispatch index. Each test gets a fresh key prefix on the shared server.</summary>
public sealed class RedisBrokerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly string[] AllQueues = [.. QueueNames.All];
    private ConnectionMultiplexer _redis = null!;

    [OneTimeSetUp]
    public async Task ConnectAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.RedisConnectionString);

    [OneTimeTearDown]
    public async Task DisconnectAsync() => await _redis.DisposeAsync();

    [Test]
    public async Task Push_IndexesDueJobsAsReady_AndLaterOnesAsDelayed()
    {
        var broker = NewBroker();
        var now = DateTime.UtcNow;
        var due = Entry(QueueNames.Default, 5, now.AddSeconds(-1));
        var dueCritical = Entry(QueueNames.Critical, 5, now);
        var later = Entry(QueueNames.Bulk, 5, now.AddMinutes(5));

        await broker.PushAsync([due, dueCritical, later]);

        var db = _redis.GetDatabase();
        Assert.That(await db.SortedSetScoreAsync(broker.Keys.Ready(QueueNames.Default), due.Id.ToString()), Is.Not.Null);
        Assert.That(await db.SortedSetScoreAsync(broker.Keys.Ready(QueueNames.Critical), dueCritical.Id.ToString()), Is.Not.Null);
        Assert.That(await db.SortedSetScoreAsync(broker.Keys.Ready(QueueNames.Bulk), later.Id.ToString()), Is.Null);
        var delayed = await db.SortedSetRangeByRankAsync(broker.Keys.Delayed);
        Assert.That(delayed.Select(v => v.ToString()), Has.Exactly(1).EndsWith("|" + later.Id));
        var depths = await broker.DepthsAsync();
        Assert.That((depths[QueueNames.Default], depths[QueueNames.Critical], depths[QueueNames.Bulk], depths["delayed"]), Is.EqualTo((1L, 1L, 0L, 1L)));
    }

    [Test]
    public async Task Push_LeavesARemoteWorkersJobOutOfTheIndex_AndWakesTheLeasesWithItsType()
    {
        var broker = NewBroker();
        var woken = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.SubscribeLeaseWakeAsync(types => woken.TrySetResult(types));
        var remote = Entry(QueueNames.Default, 5, DateTime.UtcNow, type: "email.send");
        var later = Entry(QueueNames.Default, 5, DateTime.UtcNow.AddMinutes(5), type: "report.build");

        await broker.PushAsync([remote, later]);

        var depths = await broker.DepthsAsync();
        Assert.That((depths[QueueNames.Default], depths["delayed"]), Is.EqualTo((0L, 0L)), "no built-in worker may claim them");
        Assert.That(await woken.Task.WaitAsync(Wait), Is.EqualTo(new[] { "email.send" }), "only the due one wakes the leases");
        Assert.That(await broker.FindUnindexedAsync([remote, later]), Is.Empty, "the rebuild does not count them as lost from the index");
    }

    [Test]
    public async Task Push_KeepsOneMember_WhenTheSameJobIsPushedTwice()
    {
        var broker = NewBroker();
        var e = Entry(QueueNames.Default, 5, DateTime.UtcNow);

        await broker.PushAsync([e]);
        await broker.PushAsync([e]);

        Assert.That((await broker.DepthsAsync())[QueueNames.Default], Is.EqualTo(1));
    }

    [Test]
    public async Task Claim_ReturnsJobsInPriorityScoreOrder_AcrossQueues()
    {
        var broker = NewBroker();
        var at = DateTime.UtcNow.AddSeconds(-1);
        var bulk10 = Entry(QueueNames.Bulk, 10, at);
        var default5 = Entry(QueueNames.Default, 5, at);
        var default10 = Entry(QueueNames.Default, 10, at);
        var critical1 = Entry(QueueNames.Critical, 1, at);
        await broker.PushAsync([bulk10, default5, default10, critical1]);

        var ids = await broker.ClaimAsync(AllQueues, 10, TimeSpan.FromMinutes(1));

        Assert.That(ids, Is.EqualTo(new[] { critical1.Id, default10.Id, default5.Id, bulk10.Id }));
    }

    [Test]
    public async Task Claim_TakesAtMostCount_AndLeavesTheRestReady()
    {
        var broker = NewBroker();
        var at = DateTime.UtcNow.AddSeconds(-1);
        var entries = Enumerable.Range(1, 5).Select(p => Entry(QueueNames.Default, p, at)).ToList();
        await broker.PushAsync(entries);

        var first = await broker.ClaimAsync(AllQueues, 2, TimeSpan.FromMinutes(1));
        var rest = await broker.ClaimAsync([QueueNames.Default], 10, TimeSpan.FromMinutes(1));

        Assert.That(first, Is.EqualTo(new[] { entries[4].Id, entries[3].Id }), "priority 5 then 4");
        Assert.That(rest, Is.EqualTo(new[] { entries[2].Id, entries[1].Id, entries[0].Id }));
        Assert.That(await broker.ClaimAsync(AllQueues, 10, TimeSpan.FromMinutes(1)), Is.Empty);
    }

    [Test]
    public async Task Claim_OnlyTakesFromTheQueuesAskedFor()
    {
        var broker = NewBroker();
        var at = DateTime.UtcNow;
        var critical = Entry(QueueNames.Critical, 10, at);
        var bulk = Entry(QueueNames.Bulk, 1, at);
        await broker.PushAsync([critical, bulk]);

        var ids = await broker.ClaimAsync([QueueNames.Bulk], 10, TimeSpan.FromMinutes(1));

        Assert.That(ids, Is.EqualTo(new[] { bulk.Id }));
        Assert.That((await broker.DepthsAsync())[QueueNames.Critical], Is.EqualTo(1));
    }

    [Test]
    public async Task Claim_RecordsTheClaims_UntilTheyAreForgotten()
    {
        var broker = NewBroker();
        var e = Entry(QueueNames.Default, 5, DateTime.UtcNow);
        await broker.PushAsync([e]);

        var ids = await broker.ClaimAsync(AllQueues, 10, TimeSpan.FromMinutes(1));
        var claimsAfterClaim = (await broker.DepthsAsync())["claims"];
        await broker.ForgetClaimsAsync(ids);

        Assert.That(claimsAfterClaim, Is.EqualTo(1));
        Assert.That((await broker.DepthsAsync())["claims"], Is.Zero);
    }

    [Test]
    public async Task ExpiredClaims_FindsClaimsPastTheirDeadline_AndForgetRemovesThem()
    {
        var broker = NewBroker();
        var at = DateTime.UtcNow;
        var expiring = Entry(QueueNames.Default, 10, at);
        var confirmedLater = Entry(QueueNames.Default, 1, at);
        await broker.PushAsync([expiring, confirmedLater]);
        var taken = await broker.ClaimAsync(AllQueues, 1, TimeSpan.Zero);
        await broker.ClaimAsync(AllQueues, 1, TimeSpan.FromMinutes(5));

        Guid[] expired = [];
        await WaitUntil(async () => (expired = await broker.ExpiredClaimsAsync(100)).Length > 0, Wait, "the zero-deadline claim is expired");

        Assert.That(taken, Is.EqualTo(new[] { expiring.Id }));
        Assert.That(expired, Is.EqualTo(new[] { expiring.Id }), "the claim with five minutes left is not expired");
        await broker.ForgetClaimsAsync(expired);
        Assert.That(await broker.ExpiredClaimsAsync(100), Is.Empty);
        Assert.That((await broker.DepthsAsync())["claims"], Is.EqualTo(1));
    }

    [Test]
    public async Task PromoteDue_MovesADelayedJobToReady_OnceItIsDue_AndReportsTheNextDue()
    {
        var broker = NewBroker();
        var now = DateTime.UtcNow;
        var soon = Entry(QueueNames.Critical, 5, now.AddMilliseconds(200));
        var muchLater = Entry(QueueNames.Default, 5, now.AddHours(1));
        await broker.PushAsync([soon, muchLater]);

        var early = await broker.PromoteDueAsync(100);
        Assert.That(early.Moved, Is.Zero);
        Assert.That(early.NextDue, Is.EqualTo(new DateTimeOffset(soon.ReadyAt).TruncateToMs()));

        (int Moved, DateTimeOffset? NextDue) promoted = default;
        await WaitUntil(async () => (promoted = await broker.PromoteDueAsync(100)).Moved > 0, Wait, "the job due in 200 ms is promoted");

        Assert.That(promoted.Moved, Is.EqualTo(1));
        Assert.That(promoted.NextDue, Is.EqualTo(new DateTimeOffset(muchLater.ReadyAt).TruncateToMs()));
        Assert.That(await broker.ClaimAsync(AllQueues, 10, TimeSpan.FromMinutes(1)), Is.EqualTo(new[] { soon.Id }));
        Assert.That((await broker.DepthsAsync())["delayed"], Is.EqualTo(1));
    }

    [Test]
    public async Task PromoteDue_ReportsNoNextDue_WhenNothingIsDelayed()
    {
        var broker = NewBroker();

        var result = await broker.PromoteDueAsync(100);

        Assert.That(result, Is.EqualTo((0, (DateTimeOffset?)null)));
    }

    [Test]
    public async Task FindUnindexed_ReturnsTheJobsInNeitherTheReadySetNorTheClaims()
    {
        var broker = NewBroker();
        var at = DateTime.UtcNow;
        var ready = Entry(QueueNames.Default, 1, at);
        var claimed = Entry(QueueNames.Critical, 10, at);
        var lost = Entry(QueueNames.Bulk, 5, at);
        await broker.PushAsync([ready, claimed]);
        Assert.That(await broker.ClaimAsync([QueueNames.Critical], 1, TimeSpan.FromMinutes(1)), Is.EqualTo(new[] { claimed.Id }));

        var missing = await broker.FindUnindexedAsync([ready, claimed, lost]);

        Assert.That(missing, Is.EqualTo(new[] { lost.Id }));
    }

    [Test]
    public async Task IndexComplete_IsFalseOnAFreshPrefix_TrueWhenMarked_AndFalseAfterTheKeysAreLost()
    {
        var broker = NewBroker();
        var fresh = await broker.IsIndexCompleteAsync();
        await broker.MarkIndexCompleteAsync();
        var marked = await broker.IsIndexCompleteAsync();

        // A FLUSHALL, limited to this test's keys: other fixtures share the server.
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var keys = new List<RedisKey>();
        await foreach (var k in server.KeysAsync(pattern: broker.Keys.Prefix + "*"))
        {
            keys.Add(k);
        }

        await _redis.GetDatabase().KeyDeleteAsync([.. keys]);

        Assert.That((fresh, marked, await broker.IsIndexCompleteAsync()), Is.EqualTo((false, true, false)));
    }

    [Test]
    public async Task SubscribeWake_IsCalled_WhenADueJobIsPushed()
    {
        var broker = NewBroker();
        var wakes = 0;
        await broker.SubscribeWakeAsync(() => Interlocked.Increment(ref wakes));

        await broker.PushAsync([Entry(QueueNames.Default, 5, DateTime.UtcNow)]);

        await WaitUntil(() => Volatile.Read(ref wakes) > 0, Wait, "the wake callback fired");
    }

    [Test]
    public async Task SubscribeCancel_DeliversTheJobId()
    {
        var broker = NewBroker();
        var id = Guid.CreateVersion7();
        var received = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.SubscribeCancelAsync(g => received.TrySetResult(g));

        await broker.PublishCancelAsync(id);

        Assert.That(await received.Task.WaitAsync(Wait), Is.EqualTo(id));
    }

    [Test]
    public async Task RemoveReady_DropsTheJobFromItsReadySet()
    {
        var broker = NewBroker();
        var e = Entry(QueueNames.Default, 5, DateTime.UtcNow);
        await broker.PushAsync([e]);

        await broker.RemoveReadyAsync(e.Id, e.Queue);

        Assert.That(await broker.ClaimAsync(AllQueues, 10, TimeSpan.FromMinutes(1)), Is.Empty);
    }

    [Test]
    public async Task Claim_PrefersAnAgedLowPriorityJob_OverAFreshHighPriorityOne()
    {
        // Step 1 s: nine ranks apart is 9 s, so a priority-1 job ready 10 s ago beats a fresh priority-10 job.
        var broker = NewBroker(new JobQueueSettings { PriorityAgingStep = TimeSpan.FromSeconds(1) });
        var now = DateTime.UtcNow;
        var aged = Entry(QueueNames.Default, 1, now.AddSeconds(-10));
        var fresh = Entry(QueueNames.Default, 10, now);
        await broker.PushAsync([fresh, aged]);

        var ids = await broker.ClaimAsync(AllQueues, 2, TimeSpan.FromMinutes(1));

        Assert.That(ids, Is.EqualTo(new[] { aged.Id, fresh.Id }));
    }

    [Test]
    public async Task Claim_PrefersAFreshHighPriorityJob_OverALowPriorityOneNotAgedEnough()
    {
        // Ready 5 s ago is less than the 9 s that nine ranks are worth at a 1 s step.
        var broker = NewBroker(new JobQueueSettings { PriorityAgingStep = TimeSpan.FromSeconds(1) });
        var now = DateTime.UtcNow;
        var young = Entry(QueueNames.Default, 1, now.AddSeconds(-5));
        var fresh = Entry(QueueNames.Default, 10, now);
        await broker.PushAsync([young, fresh]);

        var ids = await broker.ClaimAsync(AllQueues, 2, TimeSpan.FromMinutes(1));

        Assert.That(ids, Is.EqualTo(new[] { fresh.Id, young.Id }));
    }

    private static QueueEntry Entry(string queue, int priority, DateTime readyAt, string type = "noop") => new(Guid.CreateVersion7(), type, queue, priority, readyAt);

    private RedisBroker NewBroker(JobQueueSettings? settings = null) =>
        new(_redis, new RedisKeys(TestRedisPrefix.New()), settings ?? new JobQueueSettings(), TimeProvider.System);
}

internal static class DateTimeOffsetExtensions
{
    /// <summary>What survives a trip through Redis' millisecond scores.</summary>
    public static DateTimeOffset? TruncateToMs(this DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}
