using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// Every job answered with 201 runs to completion, through a worker crash, a worker drain, Redis loss and a Postgres
/// outage. One system with three workers: the crash and the drain each take one out, whichever runs first, and at
/// least one is left for the other tests.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 3, Environment = Api.FastEnvironment(shutdownTimeout: "5s") });

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sut is not null)
        {
            await _sut.DisposeAsync();
        }
    }

    [Test]
    public async Task EveryJobCompletes_WhenAWorkerIsKilledWhileRunningJobs()
    {
        // Jobs long enough (2 s, 50 of them on 24 slots) to be seen running before they end.
        var workers = await AliveWorkersAsync();
        var ids = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 50).Select(_ => new { type = "sleep", payload = new { ms = 2000 }, max_attempts = 5 }));
        var (victim, victimId) = await WorkerRunningAnyOfAsync(workers, ids);

        SystemUnderTest.Kill(victim);
        await WaitUntil(() => !victim.IsAlive, Bound, $"{victim.Name} is dead");

        // Its jobs' leases expire (3 s) and the scheduler hands them to the live workers.
        await _sut.WaitForStatusAsync(ids, "completed", Bound);
        var rescued = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND worker_id <> @victim AND attempts > 1", ("ids", ids.ToArray()), ("victim", victimId));
        var lost = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND worker_id = @victim AND status <> 'completed'", ("ids", ids.ToArray()), ("victim", victimId));
        Assert.That(lost, Is.Zero);
        TestContext.Out.WriteLine($"{rescued} job(s) were rescued from {victimId} and completed on another worker.");
    }

    [Test]
    public async Task EveryJobCompletes_WhenRedisIsFlushedWithJobsPending()
    {
        var at = Api.Rfc3339(DateTime.UtcNow.AddSeconds(2));
        var delayed = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 100).Select(_ => new { type = "noop", scheduled_at = at }));
        var ready = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 100).Select(_ => new { type = "sleep", payload = new { ms = 50 } }));

        await _sut.FlushRedisAsync();

        // The index is rebuilt from Postgres: nothing that was waiting is forgotten.
        await _sut.WaitForStatusAsync([.. delayed, .. ready], "completed", Bound);
    }

    [Test]
    public async Task EnqueueAnswers503_WhenPostgresIsStopped_AndRecovers()
    {
        var probe = Guid.NewGuid().ToString("N");
        var before = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs");

        await _sut.StopPostgresAsync();
        try
        {
            using var response = await _sut.Client.PostAsJsonAsync("/api/v1/jobs", new { type = "noop", tags = new { probe } });
            var body = await response.ErrorEnvelopeAsync(HttpStatusCode.ServiceUnavailable);
            TestContext.Out.WriteLine($"While Postgres was stopped: {body}");
        }
        finally
        {
            await _sut.StartPostgresAsync();
        }

        // Nothing half-written: no row was added, and the refused job does not exist.
        var after = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs");
        var refused = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE tags @> jsonb_build_object('probe', @probe::text)", ("probe", probe));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after, Is.EqualTo(before), "rows in jobs before the outage and after it");
            Assert.That(refused, Is.Zero, "the refused job exists");
        }

        // The services reconnect by themselves: enqueueing is accepted again and the job runs.
        Guid id = default;
        await WaitUntil(async () =>
        {
            using var r = await _sut.Client.PostAsJsonAsync("/api/v1/jobs", new { type = "echo", payload = new { probe } });
            if (r.StatusCode != HttpStatusCode.Created)
            {
                return false;
            }

            id = (await r.EnvelopeAsync()).GetProperty("data").GetProperty("id").GetGuid();
            return true;
        }, Bound, "POST /api/v1/jobs answers 201 again");
        await _sut.WaitForJobAsync(id, "completed", Bound);
    }

    [Test]
    public async Task WorkerDrainsOnSigterm_HandingBackOrFinishing()
    {
        // 2 s jobs fit in WORKER_SHUTDOWN_TIMEOUT (5 s) and finish there; 10 s jobs cannot and must be handed back.
        var workers = await AliveWorkersAsync();
        var shortIds = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 20).Select(_ => new { type = "sleep", payload = new { ms = 2000 } }));
        var longIds = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 6).Select(_ => new { type = "sleep", payload = new { ms = 10_000 } }));
        List<Guid> ids = [.. shortIds, .. longIds];
        var (draining, drainingId) = await WorkerRunningAnyOfAsync(workers, longIds);
        var heldLong = await RunningOnAsync(drainingId, longIds);

        SystemUnderTest.Terminate(draining);

        // It exits on its own within WORKER_SHUTDOWN_TIMEOUT plus a margin, rather than running its 10 s jobs out.
        await WaitUntil(() => !draining.IsAlive, TimeSpan.FromSeconds(30), $"{draining.Name} exits after draining");

        // It left nothing running behind: each job it held was finished or handed back, not left to lease expiry.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await _sut.RunningOnAsync(drainingId, ids), Is.Zero, "jobs still running on the stopped worker");
            Assert.That(
                await _sut.ScalarAsync<string?>("SELECT status FROM workers WHERE id = @id", ("id", drainingId)),
                Is.EqualTo("stopped"),
                "the drained worker deregistered");
        }

        await _sut.WaitForStatusAsync(ids, "completed", Bound);
        var finishedThere = await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND worker_id = @id", ("ids", shortIds.ToArray()), ("id", drainingId));
        TestContext.Out.WriteLine($"{finishedThere} of 20 short jobs finished on the draining worker {drainingId}; {heldLong.Count} long job(s) were handed back.");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(
                await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND worker_id = @id", ("ids", heldLong.ToArray()), ("id", drainingId)),
                Is.Zero,
                "the 10 s jobs the draining worker held completed on another worker");
            Assert.That(await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE status = 'running'"), Is.Zero, "no job anywhere stays running");
        }
    }

    private async Task<List<Guid>> RunningOnAsync(string workerId, IReadOnlyCollection<Guid> ids)
    {
        await using var conn = _sut.OpenConnection();
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT id FROM jobs WHERE id = ANY(@ids) AND status = 'running' AND worker_id = @worker", conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        cmd.Parameters.AddWithValue("worker", workerId);
        await using var reader = await cmd.ExecuteReaderAsync();
        var found = new List<Guid>();
        while (await reader.ReadAsync())
        {
            found.Add(reader.GetGuid(0));
        }

        return found;
    }

    /// <summary>The live workers by worker id (looked up before the jobs are enqueued, so no time is lost after).</summary>
    private async Task<Dictionary<string, SystemProcess>> AliveWorkersAsync()
    {
        var alive = _sut.Workers.Where(w => w.IsAlive).ToList();
        Assert.That(alive, Has.Count.GreaterThanOrEqualTo(2), "this test needs a worker to take out and one to carry on");
        var byId = new Dictionary<string, SystemProcess>();
        foreach (var w in alive)
        {
            byId[await _sut.WorkerIdOfAsync(w, Bound)] = w;
        }

        return byId;
    }

    /// <summary>
    /// A live worker that is running some of <paramref name="ids"/>, once one is. Which replica wins a claim is a race
    /// (on a loaded machine one may win every job), so the test takes out whichever holds the jobs, not a fixed one.
    /// </summary>
    private async Task<(SystemProcess Worker, string WorkerId)> WorkerRunningAnyOfAsync(Dictionary<string, SystemProcess> byId, IReadOnlyCollection<Guid> ids)
    {
        (SystemProcess, string)? found = null;
        await WaitUntil(async () =>
        {
            foreach (var (id, w) in byId)
            {
                if ((await RunningOnAsync(id, ids)).Count > 0)
                {
                    found = (w, id);
                    return true;
                }
            }

            return false;
        }, Bound, "a worker is running some of the jobs");
        return found!.Value;
    }
}
