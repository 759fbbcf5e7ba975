using Dapper;
using JobQueue.Core.Events;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Events;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using NUnit.Framework;
using StackExchange.Redis;

namespace JobQueue.Storage.Tests;

/// <summary>
/// The lifecycle-event outbox: every state change writes its event in the same statement, and the relay turns the
/// outbox into webhook deliveries (same transaction) and Redis messages.
/// </summary>
public sealed class EventOutboxTests : PostgresFixture
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private ConnectionMultiplexer _redis = null!;
    private RedisKeys _keys = null!;
    private EventRelay _relay = null!;

    [OneTimeSetUp]
    public async Task ConnectAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.RedisConnectionString);
        _keys = new RedisKeys(TestRedisPrefix.New());
        _relay = new EventRelay(DataSource, _redis, _keys, TimeProvider.System);
    }

    [OneTimeTearDown]
    public async Task DisconnectAsync() => await _redis.DisposeAsync();

    [SetUp]
    public async Task DrainAsync() => await PumpAllAsync();

    [Test]
    public async Task EveryTransition_WritesItsEvent_InOrder()
    {
        var now = JobFactory.Now();
        var ok = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { Type = "echo" }, Ct);
        await Store.JobsCompleteManyAsync([new JobCompletion(ok.Id, 1, "{}")], "w1", now.AddMilliseconds(250), Ct);

        var failing = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { MaxAttempts = 2 }, Ct);
        var retryAt = now.AddSeconds(5);
        await Store.JobsFailAsync(new JobsFailParams(failing.Id, 1, "w1", "boom", retryAt), Ct);
        await Store.JobsClaimAsync(new JobsClaimParams([failing.Id], "w2", retryAt, retryAt + Lease), Ct);
        await Store.JobsKillAsync(new JobsKillParams(failing.Id, 2, "w2", "boom again", retryAt.AddSeconds(1), TimeSpan.FromDays(7)), Ct);

        var waiting = await JobFactory.CreateAsync(Store, ct: Ct);
        await Store.JobsCancelAsync(waiting.Id, null, now, Ct);

        var events = await PumpAllAsync();

        Assert.That(Names(events, ok.Id), Is.EqualTo(new[] { EventNames.JobEnqueued, EventNames.JobStarted, EventNames.JobCompleted }));
        Assert.That(Names(events, failing.Id), Is.EqualTo(new[]
        {
            EventNames.JobEnqueued, EventNames.JobStarted, EventNames.JobFailed, EventNames.JobStarted, EventNames.JobDead,
        }));
        Assert.That(Names(events, waiting.Id), Is.EqualTo(new[] { EventNames.JobEnqueued, EventNames.JobCancelled }));

        var completed = events.Single(e => e.JobId == ok.Id && e.Event == EventNames.JobCompleted);
        var failed = events.Single(e => e.JobId == failing.Id && e.Event == EventNames.JobFailed);
        var dead = events.Single(e => e.JobId == failing.Id && e.Event == EventNames.JobDead);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((completed.Owner, completed.JobType, completed.Queue, completed.Status, completed.Attempt, completed.WorkerId),
                Is.EqualTo(("t1", "echo", QueueNames.Default, "completed", 1, (string?)"w1")));
            Assert.That(completed.DurationMs, Is.EqualTo(250).Within(0.01));
            Assert.That(completed.Ts, Is.EqualTo(new DateTimeOffset(now.AddMilliseconds(250)).ToUnixTimeMilliseconds()));
            Assert.That((failed.Error, failed.Status, failed.RetryAt), Is.EqualTo(("boom", "failed", (long?)new DateTimeOffset(retryAt).ToUnixTimeMilliseconds())));
            Assert.That((dead.Error, dead.Attempt, dead.WorkerId), Is.EqualTo(("boom again", 2, (string?)"w2")));
            Assert.That(events.Single(e => e.JobId == failing.Id && e.Attempt == 2 && e.Event == EventNames.JobStarted).WaitMs, Is.Zero);
        }
    }

    [Test]
    public async Task AJobsAttempts_ListEveryEndedAttempt_BeforeTheRelayRecordsThem_AsAfter()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { MaxAttempts = 3 }, Ct);
        await Store.JobsFailAsync(new JobsFailParams(job.Id, 1, "w1", "boom", now.AddSeconds(1)), Ct);
        await Store.JobsClaimAsync(new JobsClaimParams([job.Id], "w2", now.AddSeconds(1), now.AddSeconds(1) + Lease), Ct);
        await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 2, "{}")], "w2", now.AddSeconds(1.5), Ct);

        var beforeRelay = await Store.JobsAttemptsAsync(job.Id, null, Ct);
        await PumpAllAsync();
        var afterRelay = await Store.JobsAttemptsAsync(job.Id, null, Ct);

        var expected = new[] { (1, "w1", "failed", (string?)"boom"), (2, "w2", "completed", (string?)null) };
        Assert.That(beforeRelay!.Select(a => (a.Attempt, a.WorkerId, a.Outcome, a.Error)), Is.EqualTo(expected), "read from the events");
        Assert.That(afterRelay, Is.EqualTo(beforeRelay), "the relay recorded the same rows");
        Assert.That(afterRelay![1].DurationMs, Is.EqualTo(500).Within(0.01));
    }

    [Test]
    public async Task AStatementThatRollsBack_LeavesNoEvent()
    {
        var good = JobFactory.New();
        var bad = JobFactory.New() with { Priority = 42 }; // violates the CHECK: the whole insert fails

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Store.JobsInsertAsync([good, bad], Ct));

        Assert.That(await OutboxRowsAsync(), Is.Zero);
    }

    [Test]
    public async Task ALostRace_WritesNoEvent()
    {
        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, ct: Ct);
        await PumpAllAsync();

        var done = await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "someone-else", now, Ct);

        Assert.That(done, Is.Empty);
        Assert.That(await OutboxRowsAsync(), Is.Zero);
    }

    [Test]
    public async Task ABatch_IsOneOutboxRow()
    {
        var jobs = Enumerable.Range(0, 100).Select(_ => JobFactory.New()).ToList();
        await Store.JobsInsertAsync(jobs, Ct);

        Assert.That(await OutboxRowsAsync(), Is.EqualTo(1));
        var events = await PumpAllAsync();
        Assert.That(events.Select(e => e.JobId), Is.EquivalentTo(jobs.Select(j => j.Id)));
    }

    [Test]
    public async Task Relay_CreatesOneDeliveryPerMatchingWebhook_OfTheEventsTenantOnly()
    {
        var a = JobFactory.NewOwner();
        var b = JobFactory.NewOwner();
        var all = await AddWebhookAsync(a, []);
        var completedOnly = await AddWebhookAsync(a, [EventNames.JobCompleted]);
        var disabled = await AddWebhookAsync(a, [], enabled: false);
        var otherTenant = await AddWebhookAsync(b, []);

        var now = JobFactory.Now();
        var job = await JobFactory.CreateRunningAsync(Store, "w1", now, now + Lease, new JobOpts { Owner = a }, Ct);
        await Store.JobsCompleteManyAsync([new JobCompletion(job.Id, 1, null)], "w1", now, Ct);
        var result = await PumpAllAsync();

        var deliveries = (await DataSource.OpenConnection().QueryAsync<(Guid WebhookId, string Event, Guid JobId, string Owner)>(
            "SELECT webhook_id, event, job_id, owner FROM webhook_deliveries WHERE job_id = @id", new { id = job.Id })).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deliveries.Where(d => d.WebhookId == all).Select(d => d.Event),
                Is.EquivalentTo(new[] { EventNames.JobEnqueued, EventNames.JobStarted, EventNames.JobCompleted }));
            Assert.That(deliveries.Where(d => d.WebhookId == completedOnly).Select(d => d.Event), Is.EqualTo(new[] { EventNames.JobCompleted }));
            Assert.That(deliveries.Any(d => d.WebhookId == disabled), Is.False, "a disabled webhook gets nothing");
            Assert.That(deliveries.Any(d => d.WebhookId == otherTenant), Is.False, "another tenant's webhook gets nothing");
            Assert.That(deliveries.All(d => d.Owner == a), Is.True);
            Assert.That(result, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task Relay_PublishesEachBatch_OnTheChannelAndTheStream()
    {
        var received = new List<string>();
        var sub = _redis.GetSubscriber();
        var got = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await sub.SubscribeAsync(_keys.EventChannel, (_, message) =>
        {
            lock (received)
            {
                received.Add(message!);
            }

            got.TrySetResult();
        });
        try
        {
            var job = await JobFactory.CreateAsync(Store, ct: Ct);
            await PumpAllAsync();
            await got.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

            var batch = System.Text.Json.JsonSerializer.Deserialize(received[0], EventJson.Default.EventBatch)!;
            Assert.That(batch.Events.Select(e => (e.Event, e.JobId)), Is.EqualTo(new[] { (EventNames.JobEnqueued, job.Id) }));
            var stream = await _redis.GetDatabase().StreamRangeAsync(_keys.EventStream, "-", "+");
            Assert.That(stream.Select(s => (string)s["batch"]!), Does.Contain(received[0]));
        }
        finally
        {
            await sub.UnsubscribeAsync(_keys.EventChannel);
        }
    }

    [Test]
    public async Task Relay_TakesEachRowOnce_EvenWithTwoPumpsRacing()
    {
        for (var i = 0; i < 200; i++)
        {
            await Store.JobsInsertAsync([JobFactory.New()], Ct);
        }

        var other = new EventRelay(DataSource, _redis, _keys, TimeProvider.System);
        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        async Task Drain(EventRelay relay)
        {
            relay.OnRelayed = b =>
            {
                foreach (var x in b)
                {
                    seen.Add(x.Id);
                }

                return Task.CompletedTask;
            };
            while ((await relay.PumpOnceAsync(Ct)).Rows > 0)
            {
            }
        }

        await Task.WhenAll(Drain(_relay), Drain(other));
        _relay.OnRelayed = null;

        Assert.That(seen, Has.Count.EqualTo(200));
        Assert.That(seen.Distinct().Count(), Is.EqualTo(200));
    }

    private static string[] Names(IEnumerable<LifecycleEvent> events, Guid jobId) =>
        [.. events.Where(e => e.JobId == jobId).Select(e => e.Event)];

    private async Task<List<LifecycleEvent>> PumpAllAsync()
    {
        var all = new List<LifecycleEvent>();
        _relay.OnRelayed = batches =>
        {
            all.AddRange(batches.OrderBy(b => b.Id).SelectMany(b => b.Events));
            return Task.CompletedTask;
        };
        while ((await _relay.PumpOnceAsync(Ct)).Rows > 0)
        {
        }

        _relay.OnRelayed = null;
        return all;
    }

    private async Task<long> OutboxRowsAsync()
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM job_events");
    }

    private async Task<Guid> AddWebhookAsync(string owner, string[] events, bool enabled = true)
    {
        var id = Guid.CreateVersion7();
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            "INSERT INTO webhooks (id, owner, url, events, enabled, created_at, updated_at) VALUES (@id, @owner, 'http://127.0.0.1:9/hook', @events, @enabled, now(), now())",
            new { id, owner, events, enabled });
        return id;
    }
}
