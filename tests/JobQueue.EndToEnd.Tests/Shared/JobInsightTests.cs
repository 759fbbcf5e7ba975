using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// What the dashboard reads besides the job itself: every attempt of a job, the job's tenant and trace id, the
/// per-queue counts of the stats and the jobs each worker is running, each scoped to the caller.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class JobInsightTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task Attempts_ListEveryAttemptOfAJobThatDied_OldestFirst_WithWorkerDurationAndError()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "fail", payload = new { message = "card declined" }, max_attempts = 3 });
        await _sut.WaitForJobAsync(id, "dead", Bound);

        JsonElement items = default;
        await WaitUntil(async () =>
        {
            items = await AttemptsAsync(id);
            return items.GetArrayLength() == 3;
        }, Bound, "three attempts are listed (the relay records each outcome)");

        var attempts = items.EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(attempts.Select(a => a.GetProperty("attempt").GetInt32()), Is.EqualTo(new[] { 1, 2, 3 }), items.ToString());
            Assert.That(attempts.Select(a => a.GetProperty("outcome").GetString()), Is.EqualTo(new[] { "failed", "failed", "dead" }));
            Assert.That(attempts.Select(a => a.GetProperty("error").GetString()), Is.All.EqualTo("card declined"));
            Assert.That(attempts.Select(a => a.GetProperty("worker_id").GetString()), Is.All.Not.Null.And.Not.Empty);
            foreach (var a in attempts)
            {
                var started = a.GetProperty("started_at").GetDateTimeOffset();
                var finished = a.GetProperty("finished_at").GetDateTimeOffset();
                Assert.That(finished, Is.GreaterThanOrEqualTo(started), a.ToString());
                Assert.That(a.GetProperty("duration_ms").GetDouble(), Is.EqualTo((finished - started).TotalMilliseconds).Within(2), a.ToString());
            }

            // Retries wait for their backoff: each attempt starts after the previous one finished.
            Assert.That(attempts[1].GetProperty("started_at").GetDateTimeOffset(), Is.GreaterThan(attempts[0].GetProperty("finished_at").GetDateTimeOffset()));
        }
    }

    [Test]
    public async Task Attempts_ShowTheRunningAttempt_ThenItsOutcome_AndTheWorkerListsTheJobWhileItRuns()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "sleep", payload = new { ms = 3000 } });
        var running = await _sut.WaitForJobAsync(id, "running", Bound);
        var workerId = running.GetProperty("worker_id").GetString();

        var attempt = (await AttemptsAsync(id)).EnumerateArray().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(attempt.GetProperty("outcome").GetString(), Is.EqualTo("running"));
            Assert.That(attempt.GetProperty("attempt").GetInt32(), Is.EqualTo(1));
            Assert.That(attempt.GetProperty("worker_id").GetString(), Is.EqualTo(workerId));
            Assert.That(attempt.GetProperty("finished_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }

        var workers = (await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/workers")).GetProperty("data");
        var worker = workers.EnumerateArray().Single(w => w.GetProperty("id").GetString() == workerId);
        Assert.That(worker.GetProperty("current_jobs").EnumerateArray().Select(j => (j.GetProperty("id").GetGuid(), j.GetProperty("type").GetString())),
            Does.Contain((id, "sleep")), worker.ToString());

        // Another tenant sees the worker but not this tenant's job on it.
        using var stranger = await _sut.RegisterTenantAsync("insight");
        var theirs = (await stranger.GetFromJsonAsync<JsonElement>("/api/v1/workers")).GetProperty("data");
        Assert.That(theirs.EnumerateArray().Single(w => w.GetProperty("id").GetString() == workerId).GetProperty("current_jobs").GetArrayLength(), Is.Zero, theirs.ToString());

        await _sut.WaitForJobAsync(id, "completed", Bound);
        await WaitUntil(async () => (await AttemptsAsync(id)).EnumerateArray().Single().GetProperty("outcome").GetString() == "completed",
            Bound, "the running attempt becomes the completed one");
        var done = (await AttemptsAsync(id)).EnumerateArray().Single();
        // The two ends are the worker's clock readings around a 3 s Task.Delay, which may end a few ms early: 2,997 ms seen.
        Assert.That(done.GetProperty("duration_ms").GetDouble(), Is.InRange(2900, 30_000), done.ToString());
    }

    [Test]
    public async Task Attempts_OfAnotherTenantsJob_AreNotFound_AsIsAnUnknownJob()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "echo", payload = new { } });
        using var stranger = await _sut.RegisterTenantAsync("insight");

        using var theirs = await stranger.GetAsync($"/api/v1/jobs/{id}/attempts");
        var error = await theirs.ErrorEnvelopeAsync(HttpStatusCode.NotFound);
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("not found"));

        using var unknown = await _sut.Client.GetAsync($"/api/v1/jobs/{Guid.CreateVersion7()}/attempts");
        await unknown.ErrorEnvelopeAsync(HttpStatusCode.NotFound);
        using var malformed = await _sut.Client.GetAsync("/api/v1/jobs/not-a-uuid/attempts");
        await malformed.ErrorEnvelopeAsync(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Job_CarriesItsTenant_AndTheTraceIdOfTheRequestThatEnqueuedIt()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/jobs") { Content = JsonContent.Create(new { type = "echo", payload = new { } }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await _sut.Client.SendAsync(request);
        var id = (await response.EnvelopeAsync()).GetProperty("data").GetProperty("id").GetGuid();

        var job = await _sut.GetJobAsync(id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.GetProperty("tenant").GetString(), Is.EqualTo("default"), "the static API key's tenant");
            Assert.That(job.GetProperty("trace_id").GetString(), Is.EqualTo(traceId));
        }
    }

    [Test]
    public async Task Stats_CountEachQueuesWaitingJobs_ForTheCallerOnly()
    {
        using var tenant = await _sut.RegisterTenantAsync("insight");
        var runAt = DateTime.UtcNow.AddHours(1).ToString("O");
        foreach (var (queue, count) in new[] { ("critical", 2), ("bulk", 3) })
        {
            for (var i = 0; i < count; i++)
            {
                using var enqueued = await tenant.PostAsJsonAsync("/api/v1/jobs", new { type = "echo", payload = new { }, queue_name = queue, scheduled_at = runAt });
                Assert.That(enqueued.StatusCode, Is.EqualTo(HttpStatusCode.Created), await enqueued.Content.ReadAsStringAsync());
            }
        }

        var queues = (await tenant.GetFromJsonAsync<JsonElement>("/api/v1/stats")).GetProperty("data").GetProperty("queues");
        Assert.That(queues.EnumerateArray().Select(q => (q.GetProperty("queue").GetString(), q.GetProperty("depth").GetInt64(), q.GetProperty("running").GetInt64())),
            Is.EqualTo(new[] { ("critical", 2L, 0L), ("default", 0L, 0L), ("bulk", 3L, 0L) }), queues.ToString());
    }

    private async Task<JsonElement> AttemptsAsync(Guid id)
    {
        using var response = await _sut.Client.GetAsync($"/api/v1/jobs/{id}/attempts");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.GetProperty("data").GetProperty("items");
    }
}
