using JobQueue.Core.Events;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StackExchange.Redis;

namespace JobQueue.Storage.Tests;

/// <summary>The system-wide counters and histograms in Redis. Each test gets a fresh key prefix on the shared server.</summary>
public sealed class SystemMetricsStoreTests
{
    private ConnectionMultiplexer _redis = null!;
    private FakeTimeProvider _time = null!;
    private long _batchId;

    [OneTimeSetUp]
    public async Task ConnectAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.RedisConnectionString);

    [OneTimeTearDown]
    public async Task DisconnectAsync() => await _redis.DisposeAsync();

    [SetUp]
    public void NewClock() => _time = new FakeTimeProvider(DateTimeOffset.UtcNow);

    [Test]
    public async Task Record_CountsEachEventByQueueAndType_AcrossBatches()
    {
        var store = NewStore();

        await store.RecordAsync([
            Batch(Event(EventNames.JobEnqueued, "email"), Event(EventNames.JobEnqueued, "email"), Event(EventNames.JobEnqueued, "pdf", QueueNames.Bulk)),
            Batch(Event(EventNames.JobCompleted, "email", durationMs: 20), Event(EventNames.JobFailed, "email", durationMs: 5),
                  Event(EventNames.JobDead, "email", durationMs: 5), Event(EventNames.JobCancelled, "pdf", QueueNames.Bulk),
                  Event(EventNames.JobStarted, "email", waitMs: 1500)),
        ]);
        await store.RecordAsync([Batch(Event(EventNames.JobEnqueued, "email"))]);

        var snapshot = await store.ReadAsync();
        Assert.That(snapshot.Jobs.OrderBy(c => c.Event).ThenBy(c => c.JobType).Select(c => (c.Event, c.Queue, c.JobType, c.Value)), Is.EqualTo(new[]
        {
            ("cancelled", QueueNames.Bulk, "pdf", 1L),
            ("completed", QueueNames.Default, "email", 1L),
            ("dead", QueueNames.Default, "email", 1L),
            ("enqueued", QueueNames.Default, "email", 3L),
            ("enqueued", QueueNames.Bulk, "pdf", 1L),
            ("failed", QueueNames.Default, "email", 1L),
        }));
    }

    [Test]
    public async Task Record_ObservesDurationOfOutcomes_AndWaitOfStarts_InCumulativeBuckets()
    {
        var store = NewStore();

        await store.RecordAsync([Batch(
            Event(EventNames.JobCompleted, "email", durationMs: 3),      // ≤ 0.005
            Event(EventNames.JobFailed, "email", durationMs: 700),       // ≤ 1
            Event(EventNames.JobDead, "email", durationMs: 400_000),     // +Inf only
            Event(EventNames.JobStarted, "email", waitMs: 40),           // ≤ 0.05
            Event(EventNames.JobEnqueued, "email", durationMs: 999))]);  // no duration for an enqueue

        var snapshot = await store.ReadAsync();
        var duration = snapshot.Duration.Single();
        var bounds = SystemMetricsStore.BucketBounds;
        using (Assert.EnterMultipleScope())
        {
            Assert.That((duration.Queue, duration.JobType, duration.Count), Is.EqualTo((QueueNames.Default, "email", 3L)));
            Assert.That(duration.Sum, Is.EqualTo(0.003 + 0.7 + 400).Within(1e-9));
            Assert.That(duration.CumulativeCounts[Array.IndexOf(bounds, 0.005)], Is.EqualTo(1));
            Assert.That(duration.CumulativeCounts[Array.IndexOf(bounds, 0.5)], Is.EqualTo(1));
            Assert.That(duration.CumulativeCounts[Array.IndexOf(bounds, 1)], Is.EqualTo(2));
            Assert.That(duration.CumulativeCounts[bounds.Length - 1], Is.EqualTo(2));
            Assert.That(duration.CumulativeCounts, Is.Ordered, "cumulative buckets never decrease");
            var wait = snapshot.Wait.Single();
            Assert.That((wait.Count, wait.Sum), Is.EqualTo((1L, 0.04)));
            Assert.That(wait.CumulativeCounts[Array.IndexOf(bounds, 0.025)], Is.Zero);
            Assert.That(wait.CumulativeCounts[Array.IndexOf(bounds, 0.05)], Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Record_KeepsJobTypesContainingTheSeparator_Intact()
    {
        var store = NewStore();

        await store.RecordAsync([Batch(Event(EventNames.JobEnqueued, "a|b|c"), Event(EventNames.JobCompleted, "a|b|c", durationMs: 1))]);

        var snapshot = await store.ReadAsync();
        Assert.That(snapshot.Jobs.Select(c => c.JobType).Distinct(), Is.EqualTo(new[] { "a|b|c" }));
        Assert.That(snapshot.Duration.Single().JobType, Is.EqualTo("a|b|c"));
    }

    [Test]
    public async Task Record_CountsJobTypesBeyondTheCap_AsOther_EvenFromAnotherStoreInstance()
    {
        var prefix = TestRedisPrefix.New();
        var first = NewStore(prefix);
        var types = Enumerable.Range(0, SystemMetricsStore.MaxJobTypes).Select(i => "type-" + i).ToList();
        await first.RecordAsync([Batch([.. types.Select(t => Event(EventNames.JobEnqueued, t))])]);

        // A new leader of the relay (a fresh instance) must honour the same cap: the admitted set is in Redis.
        var second = NewStore(prefix);
        await second.RecordAsync([Batch(Event(EventNames.JobEnqueued, "one-too-many"), Event(EventNames.JobEnqueued, "another"), Event(EventNames.JobEnqueued, "type-7"))]);

        var snapshot = await second.ReadAsync();
        var byType = snapshot.Jobs.ToDictionary(c => c.JobType, c => c.Value);
        Assert.That(byType, Has.Count.EqualTo(SystemMetricsStore.MaxJobTypes + 1));
        Assert.That(byType[SystemMetricsStore.OtherJobType], Is.EqualTo(2));
        Assert.That(byType["type-7"], Is.EqualTo(2));
        Assert.That(byType.ContainsKey("one-too-many"), Is.False);
    }

    [Test]
    public async Task Record_OfNothing_WritesNothing()
    {
        var store = NewStore();

        await store.RecordAsync([]);
        await store.RecordAsync([Batch(Event(EventNames.JobStarted, "email"))]);

        var snapshot = await store.ReadAsync();
        Assert.That((snapshot.Jobs.Count, snapshot.Duration.Count, snapshot.Wait.Count), Is.EqualTo((0, 0, 0)));
    }

    [Test]
    public async Task WebhookDeliveries_AreCountedByOutcome_AndStrangeOutcomesFoldIntoOther()
    {
        var store = NewStore();

        await store.RecordWebhookDeliveryAsync("delivered");
        await store.RecordWebhookDeliveryAsync("delivered");
        await store.RecordWebhookDeliveryAsync("failed");
        await store.RecordWebhookDeliveryAsync("Not A Label\"");

        var snapshot = await store.ReadAsync();
        Assert.That(snapshot.WebhookDeliveries, Is.EquivalentTo(new Dictionary<string, long> { ["delivered"] = 2, ["failed"] = 1, ["other"] = 1 }));
    }

    [Test]
    public async Task WsClients_SumsLiveInstances_AndDropsOnesSilentForTheTtl()
    {
        var store = NewStore();

        await store.ReportWsClientsAsync("jobs-api-a", 3);
        await store.ReportWsClientsAsync("jobs-api-b", 4);
        await store.ReportWsClientsAsync("jobs-api-a", 2); // a later report replaces the earlier one
        Assert.That((await store.ReadAsync()).WsClients, Is.EqualTo(6));

        _time.Advance(SystemMetricsStore.WsReportTtl - TimeSpan.FromSeconds(5));
        await store.ReportWsClientsAsync("jobs-api-b", 5);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.That((await store.ReadAsync()).WsClients, Is.EqualTo(5), "instance a is silent for longer than the TTL");
    }

    private SystemMetricsStore NewStore(string? prefix = null) => new(_redis, new RedisKeys(prefix ?? TestRedisPrefix.New()), _time);

    private EventBatch Batch(params LifecycleEvent[] events) => new(Interlocked.Increment(ref _batchId), events);

    private static LifecycleEvent Event(string name, string type, string queue = QueueNames.Default, double? durationMs = null, double? waitMs = null) =>
        new(name, "t1", Guid.CreateVersion7(), type, queue, 5, "x", 1, 3, null, 0, DurationMs: durationMs, WaitMs: waitMs);
}
