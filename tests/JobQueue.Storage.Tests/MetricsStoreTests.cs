using Dapper;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>The gauges of the gateway's /metrics that come from Postgres.</summary>
public sealed class MetricsStoreTests : PostgresFixture
{
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Gauges_CountWaitingAndRunningJobsPerQueue_AndFreshActiveWorkers()
    {
        var metrics = new PostgresMetricsStore(DataSource);
        var now = DateTime.UtcNow;
        var before = await metrics.GaugesReadAsync(now, Stale, Ct);
        Assert.That((before.Queues.Count, before.Running, before.ActiveWorkers), Is.EqualTo((0, 0L, 0L)));

        await InsertJobsAsync(QueueNames.Default, "pending", 3);
        await InsertJobsAsync(QueueNames.Default, "failed", 1);   // waiting for its retry: still in the queue
        await InsertJobsAsync(QueueNames.Default, "running", 2);
        await InsertJobsAsync(QueueNames.Default, "completed", 5); // history: not in any gauge
        await InsertJobsAsync(QueueNames.Critical, "pending", 1);
        await InsertWorkerAsync("w-fresh", "active", now.AddSeconds(-1));
        await InsertWorkerAsync("w-silent", "active", now.AddMinutes(-5));
        await InsertWorkerAsync("w-stopped", "stopped", now);

        var after = await metrics.GaugesReadAsync(now, Stale, Ct);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Queues.OrderBy(q => q.Queue), Is.EqualTo(new[]
            {
                new QueueGauge(QueueNames.Critical, 1, 0),
                new QueueGauge(QueueNames.Default, 4, 2),
            }));
            Assert.That(after.Running, Is.EqualTo(2));
            Assert.That(after.ActiveWorkers, Is.EqualTo(1));
        }
    }

    private async Task InsertJobsAsync(string queue, string status, int count)
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        for (var i = 0; i < count; i++)
        {
            await conn.ExecuteAsync(
                "INSERT INTO jobs (id, owner, type, priority, status, max_attempts, queue_name, scheduled_at, created_at) " +
                "VALUES (@id, 't1', 'echo', 5, @status, 3, @queue, now(), now())",
                new { id = Guid.CreateVersion7(), status, queue });
        }
    }

    private async Task InsertWorkerAsync(string id, string status, DateTime lastSeen) =>
        await new PostgresWorkerStore(DataSource).WorkersUpsertAsync(new WorkerInfo
        {
            Id = id, Host = "h", Pid = 1, Status = status, Queues = [QueueNames.Default], Concurrency = 1, StartedAt = lastSeen, LastSeen = lastSeen,
        }, Ct);
}
