using System.Diagnostics;
using System.Net;
using Dapper;
using JobQueue.Core.Events;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static JobQueue.Testing.Polling;

namespace Api.Gateway.Tests;

/// <summary>The gateway's /metrics: its own OTel metrics plus the system-wide families, read from Redis and Postgres.</summary>
[NonParallelizable]
public sealed class MetricsEndpointTests
{
    /// <summary>Longer than the gateway's caches (1 s Redis, 3 s Postgres), with room for a loaded machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static readonly string[] SystemFamilies =
    [
        "jobqueue_jobs_enqueued_total", "jobqueue_jobs_completed_total", "jobqueue_jobs_failed_total", "jobqueue_jobs_dead_total",
        "jobqueue_jobs_cancelled_total", "jobqueue_job_duration_seconds", "jobqueue_job_wait_seconds", "jobqueue_queue_depth",
        "jobqueue_jobs_running", "jobqueue_active_workers", "jobqueue_ws_clients", "jobqueue_webhook_deliveries_total",
        "jobqueue_metrics_source_up",
    ];

    private string _connectionString = "";
    private NpgsqlDataSource _dataSource = null!;
    private GatewayFactory _factory = null!;
    private HttpClient _client = null!;
    private long _batchId;

    private SystemMetricsStore Store => _factory.Services.GetRequiredService<SystemMetricsStore>();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        await Migrator.MigrateAsync(_dataSource, CancellationToken.None);
        _factory = new GatewayFactory(_connectionString, TestInfrastructure.RedisConnectionString);
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    [Test]
    public async Task Metrics_HasEverySystemFamily_WithHelpAndType_NextToTheGatewaysOwnMetrics()
    {
        using (await _client.GetAsync("/alive")) { } // so the gateway's HTTP server metrics have a sample

        var metrics = await ScrapeAsync();

        using (Assert.EnterMultipleScope())
        {
            foreach (var family in SystemFamilies)
            {
                Assert.That(metrics.Types.ContainsKey(family), Is.True, $"# TYPE {family}");
                Assert.That(metrics.Help.ContainsKey(family), Is.True, $"# HELP {family}");
            }

            Assert.That(metrics.Types["jobqueue_job_duration_seconds"], Is.EqualTo("histogram"));
            Assert.That(metrics.Types["jobqueue_jobs_enqueued_total"], Is.EqualTo("counter"));
            Assert.That(metrics.Types["jobqueue_queue_depth"], Is.EqualTo("gauge"));
            Assert.That(metrics.Types.Keys.Where(k => !k.StartsWith("jobqueue_", StringComparison.Ordinal)), Is.Not.Empty, "the gateway's own OTel metrics");
            Assert.That(metrics.DuplicateFamilies, Is.Empty);
            Assert.That(metrics.Value("jobqueue_metrics_source_up", ("source", "redis")), Is.EqualTo(1));
            Assert.That(metrics.Value("jobqueue_metrics_source_up", ("source", "postgres")), Is.EqualTo(1));
            Assert.That(metrics.Of("jobqueue_queue_depth").Select(s => s["queue"]), Is.EquivalentTo(QueueNames.All));
        }
    }

    [Test]
    public async Task Counters_Histograms_WebhookDeliveries_AndWsClients_ChangeAfterTheyAreRecorded()
    {
        var before = await ScrapeAsync();
        var type = "metrics-test." + Guid.NewGuid().ToString("N")[..8];

        await Store.RecordAsync([new EventBatch(++_batchId, [
            Event(EventNames.JobEnqueued, type), Event(EventNames.JobEnqueued, type), Event(EventNames.JobStarted, type, waitMs: 30),
            Event(EventNames.JobCompleted, type, durationMs: 250), Event(EventNames.JobFailed, type, durationMs: 2),
            Event(EventNames.JobDead, type, durationMs: 2), Event(EventNames.JobCancelled, type)])]);
        await Store.RecordWebhookDeliveryAsync("delivered");
        await Store.ReportWsClientsAsync("jobs-api-test", 7);

        var labels = new[] { ("queue", QueueNames.Default), ("job_type", type) };
        var after = await ScrapeUntilAsync(m => m.Value("jobqueue_jobs_enqueued_total", labels) == 2, "the enqueued counter is 2");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Value("jobqueue_jobs_completed_total", labels), Is.EqualTo(1));
            Assert.That(after.Value("jobqueue_jobs_failed_total", labels), Is.EqualTo(1));
            Assert.That(after.Value("jobqueue_jobs_dead_total", labels), Is.EqualTo(1));
            Assert.That(after.Value("jobqueue_jobs_cancelled_total", labels), Is.EqualTo(1));
            Assert.That(after.Value("jobqueue_job_duration_seconds_count", labels), Is.EqualTo(3));
            Assert.That(after.Value("jobqueue_job_duration_seconds_sum", labels), Is.EqualTo(0.254).Within(1e-9));
            Assert.That(after.Value("jobqueue_job_duration_seconds_bucket", [.. labels, ("le", "0.005")]), Is.EqualTo(2));
            Assert.That(after.Value("jobqueue_job_duration_seconds_bucket", [.. labels, ("le", "0.25")]), Is.EqualTo(3));
            Assert.That(after.Value("jobqueue_job_wait_seconds_count", labels), Is.EqualTo(1));
            Assert.That(after.Value("jobqueue_webhook_deliveries_total", ("outcome", "delivered")),
                Is.EqualTo(before.Value("jobqueue_webhook_deliveries_total", ("outcome", "delivered")) + 1));
            Assert.That(after.Value("jobqueue_ws_clients"), Is.EqualTo(before.Value("jobqueue_ws_clients") + 7));
        }
    }

    [Test]
    public async Task Gauges_ChangeAfterJobsAndWorkersAreWritten()
    {
        var before = await ScrapeAsync();

        await using (var conn = await _dataSource.OpenConnectionAsync())
        {
            foreach (var (queue, status) in new[] { (QueueNames.Bulk, "pending"), (QueueNames.Bulk, "failed"), (QueueNames.Critical, "running") })
            {
                await conn.ExecuteAsync(
                    "INSERT INTO jobs (id, owner, type, priority, status, max_attempts, queue_name, scheduled_at, created_at) " +
                    "VALUES (@id, 't1', 'echo', 5, @status, 3, @queue, now(), now())",
                    new { id = Guid.CreateVersion7(), status, queue });
            }
        }

        await new PostgresWorkerStore(_dataSource).WorkersUpsertAsync(new WorkerInfo
        {
            Id = "w-" + Guid.NewGuid().ToString("N"), Host = "h", Pid = 1, Queues = [QueueNames.Default], Concurrency = 1,
            StartedAt = DateTime.UtcNow, LastSeen = DateTime.UtcNow,
        }, CancellationToken.None);

        var bulk = before.Value("jobqueue_queue_depth", ("queue", QueueNames.Bulk)) + 2;
        var after = await ScrapeUntilAsync(m => m.Value("jobqueue_queue_depth", ("queue", QueueNames.Bulk)) == bulk, $"bulk depth {bulk}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Value("jobqueue_jobs_running"), Is.EqualTo(before.Value("jobqueue_jobs_running") + 1));
            Assert.That(after.Value("jobqueue_active_workers"), Is.EqualTo(before.Value("jobqueue_active_workers") + 1));
            Assert.That(after.Value("jobqueue_queue_depth", ("queue", QueueNames.Critical)), Is.EqualTo(before.Value("jobqueue_queue_depth", ("queue", QueueNames.Critical))));
        }
    }

    [Test]
    public async Task Exposition_IsValid_HistogramsCumulative_AndStrangeLabelValuesEscaped()
    {
        const string strange = "quote\" back\\slash\nnewline {x=\"1\"}";
        await Store.RecordAsync([new EventBatch(++_batchId, [Event(EventNames.JobEnqueued, strange), Event(EventNames.JobCompleted, strange, durationMs: 40)])]);

        // Every line parses strictly (Exposition.Parse asserts it), including the escaped label value.
        var metrics = await ScrapeUntilAsync(m => m.Value("jobqueue_jobs_enqueued_total", ("job_type", strange)) == 1, "the strange job type is counted");

        Assert.That(metrics.DuplicateFamilies, Is.Empty);
        foreach (var family in new[] { "jobqueue_job_duration_seconds", "jobqueue_job_wait_seconds" })
        {
            foreach (var series in metrics.Of(family + "_bucket").GroupBy(s => (s["queue"], s["job_type"])))
            {
                var buckets = series.Select(s => (Le: s["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s["le"], System.Globalization.CultureInfo.InvariantCulture), s.Value)).ToList();
                var where = $"{family} {series.Key}";
                Assert.That(buckets.Select(b => b.Le), Is.Ordered.And.Unique, where);
                Assert.That(buckets.Select(b => b.Value), Is.Ordered, $"{where}: cumulative buckets never decrease");
                Assert.That(buckets[^1].Le, Is.EqualTo(double.PositiveInfinity), where);
                Assert.That(buckets[^1].Value, Is.EqualTo(metrics.Value(family + "_count", ("queue", series.Key.Item1), ("job_type", series.Key.Item2))), $"{where}: +Inf equals _count");
                Assert.That(metrics.Of(family + "_sum").Count(s => (s["queue"], s["job_type"]) == series.Key), Is.EqualTo(1), $"{where}: one _sum");
            }
        }

        // Every sample belongs to a declared family (a histogram's samples by their suffix).
        var undeclared = metrics.Samples.Select(s => s.Name).Distinct()
            .Where(n => !metrics.Types.ContainsKey(n) && !new[] { "_bucket", "_sum", "_count" }.Any(x => n.EndsWith(x, StringComparison.Ordinal) && metrics.Types.ContainsKey(n[..^x.Length])));
        Assert.That(undeclared, Is.Empty);
    }

    [Test]
    public async Task Metrics_IsServedQuickly_WhenRedisAndPostgresAreDown_WithSourceUpZero()
    {
        var deadPostgres = new NpgsqlConnectionStringBuilder(_connectionString) { Port = FreePort.Get() }.ConnectionString;
        await using var factory = new GatewayFactory(deadPostgres, $"127.0.0.1:{FreePort.Get()},abortConnect=false");
        using var client = factory.CreateClient();

        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "bounded by the per-source timeout");
        var metrics = Exposition.Parse(text);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(metrics.Value("jobqueue_metrics_source_up", ("source", "redis")), Is.Zero);
            Assert.That(metrics.Value("jobqueue_metrics_source_up", ("source", "postgres")), Is.Zero);
            Assert.That(SystemFamilies.Where(f => !metrics.Types.ContainsKey(f)), Is.Empty, "the families are still declared");
            Assert.That(metrics.Of("jobqueue_queue_depth"), Is.Empty, "no made-up values");
        }
    }

    private async Task<Exposition> ScrapeAsync()
    {
        using var response = await _client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        return Exposition.Parse(text);
    }

    private async Task<Exposition> ScrapeUntilAsync(Func<Exposition, bool> condition, string what)
    {
        Exposition last = null!;
        await WaitUntil(async () => condition(last = await ScrapeAsync()), Bound, what);
        return last;
    }

    private static LifecycleEvent Event(string name, string type, double? durationMs = null, double? waitMs = null) =>
        new(name, "t1", Guid.CreateVersion7(), type, QueueNames.Default, 5, "x", 1, 3, null, 0, DurationMs: durationMs, WaitMs: waitMs);
}
