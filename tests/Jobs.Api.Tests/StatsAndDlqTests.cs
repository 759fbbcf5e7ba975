using System.Net;
using JobQueue.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Jobs.Api.Tests;

/// <summary>Counts need a database nothing else writes to: this fixture's tests only read, after one setup.</summary>
public sealed class StatsAndDlqTests : ApiFixture
{
    [OneTimeSetUp]
    public async Task EnqueueAndCancelAsync()
    {
        await EnqueueAsync("""{"type":"stats.a"}""");
        await EnqueueAsync("""{"type":"stats.b"}""");
        var cancelled = await EnqueueAsync("""{"type":"stats.c"}""");
        await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(cancelled));
    }

    [Test]
    public async Task Stats_CountsTheTenantsJobsByStatus()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/stats");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var d = body["data"]!;
        Assert.That(
            (d["total_jobs"]!.GetValue<long>(), d["pending"]!.GetValue<long>(), d["cancelled"]!.GetValue<long>(), d["running"]!.GetValue<long>(), d["dlq_count"]!.GetValue<long>()),
            Is.EqualTo((3L, 2L, 1L, 0L, 0L)));
    }

    [Test]
    public async Task Dlq_ReturnsAnEmptyPage_WhenNothingDied()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/dlq");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body["data"]!.AsArray(), Is.Empty);
        Assert.That(body["meta"]!["total_count"]!.GetValue<long>(), Is.Zero);
        Assert.That(body["meta"]!["has_more"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public async Task Workers_ListsTheRegisteredActiveWorkers()
    {
        var workers = Factory.Services.GetRequiredService<PostgresWorkerStore>();
        var now = DateTime.UtcNow;
        await workers.WorkersUpsertAsync(new WorkerInfo { Id = "worker-test-1", Host = "h", Pid = 42, Queues = ["default"], Concurrency = 4, StartedAt = now, LastSeen = now }, Ct);

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/workers");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var list = body["data"]!.AsArray();
        Assert.That(list.Select(w => w!["id"]!.GetValue<string>()), Is.EqualTo(new[] { "worker-test-1" }));
        Assert.That(list[0]!["status"]!.GetValue<string>(), Is.EqualTo("active"));
    }
}
