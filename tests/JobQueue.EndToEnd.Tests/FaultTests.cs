using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>Every job answered with 201 runs at least once, through worker crashes, Redis loss and a Postgres outage.</summary>
[TestFixture]
public sealed class FaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions
    {
        Workers = 2,
        Environment = new Dictionary<string, string>
        {
            ["RETRY_BASE_DELAY"] = "200ms",
            ["RETRY_MAX_DELAY"] = "1s",
            ["WORKER_HEARTBEAT_INTERVAL"] = "1s",
            ["WORKER_LEASE_DURATION"] = "3s",
            ["WORKER_SHUTDOWN_TIMEOUT"] = "3s",
            ["WORKER_COUNT"] = "8",
        },
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _sut.DisposeAsync();

    [Test]
    public async Task EveryJobCompletes_WhenAWorkerIsKilledWhileRunningJobs()
    {
        var ids = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 40).Select(_ => new { type = "sleep", payload = new { ms = 300 } }));
        var victim = _sut.Workers.First(w => w.IsAlive);
        await WaitUntil(async () =>
        {
            var workers = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/workers");
            return workers.GetProperty("data").EnumerateArray().Any(w => w.GetProperty("pid").GetInt32() == victim.Pid && w.GetProperty("running").GetInt32() > 0)
                || await RunningOnAsync(_sut, victim.Pid);
        }, Bound, "the victim worker running jobs");

        SystemUnderTest.Kill(victim);

        await _sut.WaitForStatusAsync(ids, "completed", Bound);
    }

    [Test]
    public async Task EveryJobCompletes_WhenRedisIsFlushedWithJobsPending()
    {
        var delayed = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 100).Select(_ => new { type = "noop", scheduled_at = DateTime.UtcNow.AddSeconds(2).ToString("O") }));
        var ready = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 100).Select(_ => new { type = "sleep", payload = new { ms = 50 } }));

        await _sut.FlushRedisAsync();

        await _sut.WaitForStatusAsync([.. delayed, .. ready], "completed", Bound);
    }

    [Test]
    public async Task Enqueue_Answers503_WhilePostgresIsStopped_AndRecovers()
    {
        await _sut.StopPostgresAsync();
        try
        {
            using var response = await _sut.Client.PostAsJsonAsync("/api/v1/jobs", new { type = "noop", tags = new { probe = "outage" } });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(body.GetProperty("error").GetString(), Does.Contain("unavailable"));
            Assert.That(body.GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }
        finally
        {
            await _sut.StartPostgresAsync();
        }

        // Nothing half-written: the refused job does not exist.
        await WaitUntil(async () =>
        {
            try { await _sut.CountJobsAsync(); return true; } catch (Npgsql.NpgsqlException) { return false; }
        }, Bound, "Postgres back");
        Assert.That(await CountTaggedAsync("outage"), Is.Zero);

        Guid id = default;
        await WaitUntil(async () =>
        {
            using var r = await _sut.Client.PostAsJsonAsync("/api/v1/jobs", new { type = "noop", tags = new { probe = "after" } });
            if (r.StatusCode != HttpStatusCode.Created) { return false; }
            id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("id").GetGuid();
            return true;
        }, Bound, "enqueue accepted again");
        await _sut.WaitForStatusAsync([id], "completed", Bound);
    }

    internal static async Task<bool> RunningOnAsync(SystemUnderTest sut, int pid)
    {
        await using var conn = new Npgsql.NpgsqlConnection(sut.PostgresConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs WHERE status = 'running' AND worker_id LIKE '%-' || @pid || '-%'", conn);
        cmd.Parameters.AddWithValue("pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }

    private async Task<long> CountTaggedAsync(string probe)
    {
        await using var conn = new Npgsql.NpgsqlConnection(_sut.PostgresConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs WHERE tags @> jsonb_build_object('probe', @p::text)", conn);
        cmd.Parameters.AddWithValue("p", probe);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}

/// <summary>SIGTERM on a worker: it stops claiming, lets jobs finish within WORKER_SHUTDOWN_TIMEOUT, hands back the rest.</summary>
[TestFixture]
public sealed class WorkerDrainTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions
    {
        Workers = 2,
        Environment = new Dictionary<string, string>
        {
            ["WORKER_HEARTBEAT_INTERVAL"] = "1s",
            ["WORKER_LEASE_DURATION"] = "3s",
            ["WORKER_SHUTDOWN_TIMEOUT"] = "2s",
            ["WORKER_COUNT"] = "8",
        },
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _sut.DisposeAsync();

    [Test]
    public async Task JobsFinishOrAreHandedBack_WhenAWorkerIsStoppedWithSigterm()
    {
        var alive = _sut.Workers.First(w => w.IsAlive);
        var ids = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 16).Select(_ => new { type = "sleep", payload = new { ms = 5000 } }));
        await WaitUntil(() => FaultTests.RunningOnAsync(_sut, alive.Pid), Bound, "the worker running jobs");

        SystemUnderTest.Terminate(alive);
        await WaitUntil(() => !alive.IsAlive, Bound, "the worker to exit after draining");

        // Nothing is left running by the stopped worker: its jobs were handed back (pending) or failed over.
        await using var conn = new Npgsql.NpgsqlConnection(_sut.PostgresConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status = 'running' AND worker_id LIKE '%-' || @pid || '-%'", conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        cmd.Parameters.AddWithValue("pid", alive.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That((long)(await cmd.ExecuteScalarAsync())!, Is.Zero);
        // It drained and deregistered (status 'stopped'), rather than dying with its jobs.
        await using var status = new Npgsql.NpgsqlCommand("SELECT status FROM workers WHERE pid = @pid", conn);
        status.Parameters.AddWithValue("pid", alive.Pid);
        Assert.That((string?)await status.ExecuteScalarAsync(), Is.EqualTo("stopped"));

        // And every job still completes on the other worker.
        await _sut.WaitForStatusAsync(ids, "completed", Bound);
    }
}
