using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>The life of jobs through the real gateway, services, Postgres and Redis: one system, two workers.</summary>
[TestFixture]
[NonParallelizable]
public sealed class JobLifecycleTests
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Postgres keeps microseconds and the services' clocks are this machine's: a small margin for rounding.</summary>
    private static readonly TimeSpan ClockTolerance = TimeSpan.FromMilliseconds(50);

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task EchoJob_EnqueuedThroughTheGateway_CompletesWithThePayloadAsItsResult_OnAListedWorker()
    {
        var payload = new JsonObject { ["to"] = "ada", ["n"] = new JsonArray(1, 2, 3), ["nested"] = new JsonObject { ["ok"] = true } };
        var id = await _sut.EnqueueIdAsync(new JsonObject { ["type"] = "echo", ["payload"] = payload.DeepClone() });

        var job = await _sut.WaitForJobAsync(id, "completed", Bound);

        // The stored JSON itself, not in the envelope (the original's clients read it so).
        using var result = await _sut.Client.GetAsync($"/api/v1/jobs/{id}/result");
        var resultBody = await result.EnvelopeAsync();
        Assert.That(result.StatusCode, Is.EqualTo(HttpStatusCode.OK), resultBody.ToString());
        Assert.That(result.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var workerId = job.GetProperty("worker_id").GetString();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(resultBody.GetRawText()), payload), Is.True, $"result {resultBody} != payload {payload.ToJsonString()}");
            Assert.That(job.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
            Assert.That(workerId, Is.Not.Null.And.Not.Empty);
            Assert.That(job.GetProperty("started_at").GetDateTimeOffset(), Is.GreaterThanOrEqualTo(job.GetProperty("created_at").GetDateTimeOffset()));
            Assert.That(job.GetProperty("completed_at").GetDateTimeOffset(), Is.GreaterThanOrEqualTo(job.GetProperty("started_at").GetDateTimeOffset()));
        }

        // Both replicas register and heartbeat; the one that ran the job is among them.
        JsonElement workers = default;
        await WaitUntil(async () =>
        {
            workers = (await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/workers")).GetProperty("data");
            return workers.GetArrayLength() >= 2;
        }, Bound, "/api/v1/workers lists at least two active workers");
        var listed = workers.EnumerateArray().Select(w => w.GetProperty("id").GetString()).ToList();
        Assert.That(listed, Does.Contain(workerId), workers.ToString());
        Assert.That(workers.EnumerateArray().Select(w => w.GetProperty("status").GetString()), Is.All.EqualTo("active"));
        Assert.That(
            workers.EnumerateArray().Select(w => w.GetProperty("pid").GetInt32()),
            Is.SupersetOf(_sut.Workers.Select(w => w.Pid)),
            "each worker process the AppHost started is listed with its pid");
    }

    [Test]
    public async Task BatchOfTwoHundredNoopJobs_AllComplete()
    {
        var batch = Guid.NewGuid().ToString("N");
        var ids = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 200).Select(i => new { type = "noop", priority = 1 + (i % 10), tags = new { batch } }));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(200));

        // Through the list endpoint: the status filter and the batch's tag, counted by meta.total_count.
        long completed = 0;
        await WaitUntil(async () =>
        {
            var page = await _sut.Client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs?status=completed&tags=batch:{batch}&limit=1");
            completed = page.GetProperty("meta").GetProperty("total_count").GetInt64();
            return completed == 200;
        }, Bound, "the list endpoint counts 200 completed jobs of the batch");

        var all = await _sut.Client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs?tags=batch:{batch}&limit=1");
        Assert.That(all.GetProperty("meta").GetProperty("total_count").GetInt64(), Is.EqualTo(200), "no job of the batch is duplicated or lost");
    }

    [Test]
    public async Task FailingJob_RetriesUpToMaxAttempts_EndsDeadInTheDlq_AndIsRequeuedExactlyOnce()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "fail", max_attempts = 3 });

        var dead = await _sut.WaitForJobAsync(id, "dead", Bound);
        Assert.That(dead.GetProperty("attempts").GetInt32(), Is.EqualTo(3));

        var dlq = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/dlq?limit=100");
        var entry = dlq.GetProperty("data").EnumerateArray().SingleOrDefault(e => e.GetProperty("job_id").GetGuid() == id);
        Assert.That(entry.ValueKind, Is.EqualTo(JsonValueKind.Object), $"job {id} is not in the DLQ: {dlq}");
        var entryId = entry.GetProperty("id").GetGuid();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.GetProperty("total_attempts").GetInt32(), Is.EqualTo(3));
            Assert.That(entry.GetProperty("type").GetString(), Is.EqualTo("fail"));
            Assert.That(entry.GetProperty("last_error").GetString(), Is.Not.Null.And.Not.Empty);
            Assert.That(entry.GetProperty("requeued").GetBoolean(), Is.False);
        }

        using var requeue = await _sut.Client.PostAsync($"/api/v1/dlq/{entryId}/requeue", null);
        var requeued = await requeue.EnvelopeAsync();
        Assert.That(requeue.StatusCode, Is.EqualTo(HttpStatusCode.Created), requeued.ToString());
        var newJob = requeued.GetProperty("data").GetProperty("new_job");
        var newId = newJob.GetProperty("id").GetGuid();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(requeued.GetProperty("data").GetProperty("dlq_entry_id").GetGuid(), Is.EqualTo(entryId));
            Assert.That(newId, Is.Not.EqualTo(id));
            Assert.That(newJob.GetProperty("requeued_from").GetGuid(), Is.EqualTo(entryId));
            Assert.That(newJob.GetProperty("type").GetString(), Is.EqualTo("fail"));
            Assert.That(newJob.GetProperty("attempts").GetInt32(), Is.Zero);
        }

        using var again = await _sut.Client.PostAsync($"/api/v1/dlq/{entryId}/requeue", null);
        await again.ErrorEnvelopeAsync(HttpStatusCode.Conflict);

        // Requeued entries leave the default listing and show, linked to the new job, with include_requeued=true.
        var pending = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/dlq?limit=100");
        Assert.That(pending.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()), Does.Not.Contain(entryId));
        var withRequeued = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/dlq?limit=100&include_requeued=true");
        var shown = withRequeued.GetProperty("data").EnumerateArray().Single(e => e.GetProperty("id").GetGuid() == entryId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(shown.GetProperty("requeued").GetBoolean(), Is.True);
            Assert.That(shown.GetProperty("new_job_id").GetGuid(), Is.EqualTo(newId));
            Assert.That(shown.GetProperty("requeued_at").ValueKind, Is.EqualTo(JsonValueKind.String));
        }

        // The new job is a real job: it runs (and, being a fail job, fails again).
        await WaitUntil(async () => (await _sut.GetJobAsync(newId)).GetProperty("attempts").GetInt32() >= 1, Bound, $"requeued job {newId} has run");
    }

    [Test]
    public async Task DelayedJob_StaysPendingUntilItsScheduledTime_ThenCompletes()
    {
        var at = DateTime.UtcNow.AddSeconds(2);
        var created = await _sut.EnqueueAsync(new { type = "noop", scheduled_at = Api.Rfc3339(at) });
        var id = created.GetProperty("id").GetGuid();
        var scheduledAt = created.GetProperty("scheduled_at").GetDateTimeOffset();
        Assert.That(scheduledAt, Is.EqualTo(new DateTimeOffset(at)).Within(TimeSpan.FromMilliseconds(1)), "scheduled_at as given");
        Assert.That(created.GetProperty("status").GetString(), Is.EqualTo("pending"));

        // Until its time, whenever it is looked at, it waits.
        while (true)
        {
            var asked = DateTimeOffset.UtcNow;
            var job = await _sut.GetJobAsync(id);
            if (asked >= scheduledAt - TimeSpan.FromMilliseconds(200))
            {
                break;
            }

            Assert.That(job.GetProperty("status").GetString(), Is.EqualTo("pending"), $"at {asked:O}, before {scheduledAt:O}: {job}");
            Assert.That(job.GetProperty("started_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
            await Task.Delay(100);
        }

        var done = await _sut.WaitForJobAsync(id, "completed", Bound);
        Assert.That(done.GetProperty("started_at").GetDateTimeOffset(), Is.GreaterThanOrEqualTo(scheduledAt - ClockTolerance));
    }

    [Test]
    public async Task CancellingADelayedPendingJob_AnswersCancelled_AndTheJobNeverRuns()
    {
        var cancelled = await _sut.EnqueueIdAsync(new { type = "noop", scheduled_at = Api.Rfc3339(DateTime.UtcNow.AddSeconds(30)) });

        using var response = await _sut.Client.DeleteAsync($"/api/v1/jobs/{cancelled}");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(body.GetProperty("data").GetProperty("status").GetString(), Is.EqualTo("cancelled"));

        // A witness due in 1 s completing shows the scheduler has promoted due jobs since; the cancelled one stays put.
        var witness = await _sut.EnqueueIdAsync(new { type = "noop", scheduled_at = Api.Rfc3339(DateTime.UtcNow.AddSeconds(1)) });
        await _sut.WaitForJobAsync(witness, "completed", Bound);

        var job = await _sut.GetJobAsync(cancelled);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(job.GetProperty("started_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(job.GetProperty("attempts").GetInt32(), Is.Zero);
        }

        // Cancelling it again is a conflict: it has ended.
        using var again = await _sut.Client.DeleteAsync($"/api/v1/jobs/{cancelled}");
        await again.ErrorEnvelopeAsync(HttpStatusCode.Conflict);
    }

    [Test]
    public async Task CancellingARunningSleepJob_Answers202_AndTheJobEndsCancelled()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "sleep", payload = new { ms = 60_000 } });
        await _sut.WaitForJobAsync(id, "running", Bound);

        using var response = await _sut.Client.DeleteAsync($"/api/v1/jobs/{id}");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body.ToString());
        Assert.That(body.GetProperty("data").GetProperty("status").GetString(), Is.EqualTo("running"));
        Assert.That(body.GetProperty("data").GetProperty("cancel_requested").GetBoolean(), Is.True);

        // Well before the 60 s sleep would end on its own.
        await _sut.WaitForJobAsync(id, "cancelled", TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task JobOverItsTimeout_EndsDead_WithATimedOutError()
    {
        var id = await _sut.EnqueueIdAsync(new { type = "sleep", payload = new { ms = 10_000 }, timeout_seconds = 1, max_attempts = 1 });

        var job = await _sut.WaitForJobAsync(id, "dead", Bound);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.GetProperty("error_message").GetString(), Does.Contain("timed out"));
            Assert.That(job.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Gateway_UnknownApiRoute_Answers404InTheEnvelope()
    {
        using var response = await _sut.Client.GetAsync("/api/v1/nope");
        var body = await response.ErrorEnvelopeAsync(HttpStatusCode.NotFound);
        Assert.That(body.GetProperty("error").GetString(), Does.Contain("/api/v1/nope"));
    }

    [Test]
    public async Task Gateway_RequestWithoutApiKey_Answers401InTheEnvelope()
    {
        var anonymous = _sut.CreateClient(apiKey: null);
        using var response = await anonymous.GetAsync("/api/v1/jobs");
        await response.ErrorEnvelopeAsync(HttpStatusCode.Unauthorized);

        var wrongKey = _sut.CreateClient(apiKey: "not-the-key");
        using var wrong = await wrongKey.PostAsJsonAsync("/api/v1/jobs", new { type = "noop" });
        await wrong.ErrorEnvelopeAsync(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Accounts_ThroughTheGateway_TheDemoAccountsKeyAndLoginTokenSeeTheSameJobs_AndForgedHeadersAreIgnored()
    {
        // The AppHost registered the demo account through billing and logged its password and key once, in billing's log.
        const string Created = "Demo account created: demo@jobqueue.dev / ";
        var created = _sut.LogLines.Single(l => l.Contains(Created, StringComparison.Ordinal));
        var password = created[(created.IndexOf(Created, StringComparison.Ordinal) + Created.Length)..].Trim();
        var key = _sut.LogLines.Single(l => l.Contains("Demo API key", StringComparison.Ordinal)).Split(' ')[^1];
        Assert.That(key, Does.Match("^qly_[0-9a-f]{32}$"));

        var byKey = _sut.CreateClient(key);
        using var enqueued = await byKey.PostAsJsonAsync("/api/v1/jobs", new { type = "noop" });
        var job = (await enqueued.EnvelopeAsync()).GetProperty("data");
        Assert.That(enqueued.StatusCode, Is.EqualTo(HttpStatusCode.Created), job.ToString());

        using var login = await _sut.CreateClient(apiKey: null).PostAsJsonAsync("/auth/login", new { email = "demo@jobqueue.dev", password });
        var loginBody = await login.EnvelopeAsync();
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), loginBody.ToString());
        var byToken = _sut.CreateClient(apiKey: null);
        byToken.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", loginBody.GetProperty("data").GetProperty("token").GetString());

        // A token signed by billing is accepted by jobs-api: one JWT_SECRET for every service.
        using var seen = await byToken.GetAsync($"/api/v1/jobs/{job.GetProperty("id").GetString()}");
        Assert.That(seen.StatusCode, Is.EqualTo(HttpStatusCode.OK), (await seen.EnvelopeAsync()).ToString());
        using var usage = await byToken.GetAsync("/portal/usage");
        Assert.That((await usage.EnvelopeAsync()).GetProperty("data").GetProperty("tier").GetString(), Is.EqualTo("free"));

        // The static key's tenant does not see the account's job, whatever headers claim.
        var forger = _sut.CreateClient(_sut.ApiKey);
        forger.DefaultRequestHeaders.Add("X-JobQueue-Owner", loginBody.GetProperty("data").GetProperty("user").GetProperty("id").GetString());
        forger.DefaultRequestHeaders.Add("X-User-Id", loginBody.GetProperty("data").GetProperty("user").GetProperty("id").GetString());
        using var hidden = await forger.GetAsync($"/api/v1/jobs/{job.GetProperty("id").GetString()}");
        await hidden.ErrorEnvelopeAsync(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Gateway_EchoesTheRequestIdItWasSent()
    {
        var requestId = $"e2e-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/stats");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await _sut.Client.SendAsync(request);
        var body = await response.EnvelopeAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("meta").GetProperty("request_id").GetString(), Is.EqualTo(requestId));
            Assert.That(response.Headers.TryGetValues("X-Request-Id", out var echoed) ? echoed.ToList() : [], Is.EqualTo(new[] { requestId }));
        }

        // Without one, the gateway makes one, and the header and the envelope agree.
        using var unnamed = await _sut.Client.GetAsync("/api/v1/stats");
        var made = (await unnamed.EnvelopeAsync()).GetProperty("meta").GetProperty("request_id").GetString();
        Assert.That(made, Is.Not.Null.And.Not.Empty);
        Assert.That(unnamed.Headers.GetValues("X-Request-Id").Single(), Is.EqualTo(made));
    }

    [Test]
    public async Task Health_Answers200_WithEveryCheckOk_AtTheTopLevelAsTheOriginal()
    {
        var anonymous = _sut.CreateClient(apiKey: null);
        using var response = await anonymous.GetAsync("/health");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());

        var data = body;
        Assert.That(body.TryGetProperty("data", out _), Is.False, "no envelope: " + body);
        Assert.That(body.GetProperty("uptime").GetString(), Does.Match(@"^\d+\.\d\d:\d\d:\d\d$"), body.ToString());
        var checks = data.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetString());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(data.GetProperty("status").GetString(), Is.EqualTo("ok"), body.ToString());
            Assert.That(checks.Keys, Does.Contain("jobs-api"), body.ToString());
            Assert.That(checks.Values, Is.All.EqualTo("ok"), body.ToString());
        }
    }

    [Test]
    public async Task Metrics_AnswerPrometheusText()
    {
        var anonymous = _sut.CreateClient(apiKey: null);
        using var response = await anonymous.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain").Or.EqualTo("application/openmetrics-text"));
            Assert.That(text, Does.Contain("# TYPE "));
            Assert.That(text, Does.Contain("# HELP "));
        }
    }
}
