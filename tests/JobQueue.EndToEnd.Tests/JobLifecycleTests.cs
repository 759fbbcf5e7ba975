using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

[assembly: NonParallelizable]

namespace JobQueue.EndToEnd.Tests;

/// <summary>The life of jobs through the real gateway, services, Postgres and Redis.</summary>
[TestFixture]
public sealed class JobLifecycleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions
    {
        Environment = new Dictionary<string, string>
        {
            ["RETRY_BASE_DELAY"] = "200ms",
            ["RETRY_MAX_DELAY"] = "1s",
            ["WORKER_HEARTBEAT_INTERVAL"] = "1s",
            ["WORKER_LEASE_DURATION"] = "5s",
        },
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _sut.DisposeAsync();

    [Test]
    public async Task EchoJob_Completes_WithThePayloadAsResult()
    {
        var job = await _sut.EnqueueAsync(new { type = "echo", payload = new { to = "ada" } });
        var id = job.GetProperty("id").GetGuid();

        await _sut.WaitForStatusAsync([id], "completed", Bound);

        var done = await _sut.GetJobAsync(id);
        Assert.That(done.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
        Assert.That(done.GetProperty("worker_id").GetString(), Is.Not.Empty);
        Assert.That(done.GetProperty("started_at").GetDateTime(), Is.GreaterThanOrEqualTo(done.GetProperty("created_at").GetDateTime()));
        var result = await _sut.Client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}/result");
        Assert.That(result.GetProperty("data").GetProperty("to").GetString(), Is.EqualTo("ada"));
    }

    [Test]
    public async Task Batch_OfTwoHundredJobs_AllComplete()
    {
        var ids = await _sut.EnqueueBatchAsync(Enumerable.Range(0, 200).Select(i => new { type = "noop", priority = 1 + (i % 10) }));
        await _sut.WaitForStatusAsync(ids, "completed", Bound);
    }

    [Test]
    public async Task FailingJob_Retries_GoesDead_AndRequeueMakesALinkedJob()
    {
        var id = (await _sut.EnqueueAsync(new { type = "fail", max_attempts = 3 })).GetProperty("id").GetGuid();

        await _sut.WaitForStatusAsync([id], "dead", Bound);
        Assert.That((await _sut.GetJobAsync(id)).GetProperty("attempts").GetInt32(), Is.EqualTo(3));

        var dlq = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/dlq?limit=100");
        var entry = dlq.GetProperty("data").EnumerateArray().Single(e => e.GetProperty("job_id").GetGuid() == id);
        var entryId = entry.GetProperty("id").GetGuid();
        Assert.That(entry.GetProperty("total_attempts").GetInt32(), Is.EqualTo(3));

        using var requeue = await _sut.Client.PostAsync($"/api/v1/dlq/{entryId}/requeue", null);
        Assert.That(requeue.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var newJob = (await requeue.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("new_job");
        Assert.That(newJob.GetProperty("requeued_from").GetGuid(), Is.EqualTo(entryId));

        using var again = await _sut.Client.PostAsync($"/api/v1/dlq/{entryId}/requeue", null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task DelayedJob_RunsAfterItsScheduledTime()
    {
        var at = DateTime.UtcNow.AddSeconds(2);
        var id = (await _sut.EnqueueAsync(new { type = "noop", scheduled_at = at.ToString("O") })).GetProperty("id").GetGuid();
        Assert.That(await _sut.StatusAsync(id), Is.EqualTo("pending"));

        await _sut.WaitForStatusAsync([id], "completed", Bound);

        var started = (await _sut.GetJobAsync(id)).GetProperty("started_at").GetDateTime().ToUniversalTime();
        Assert.That(started, Is.GreaterThanOrEqualTo(at.AddMilliseconds(-50)));
    }

    [Test]
    public async Task CancelledPendingJob_NeverRuns()
    {
        var cancelled = (await _sut.EnqueueAsync(new { type = "noop", scheduled_at = DateTime.UtcNow.AddSeconds(1).ToString("O") })).GetProperty("id").GetGuid();
        var witness = (await _sut.EnqueueAsync(new { type = "noop", scheduled_at = DateTime.UtcNow.AddSeconds(1).ToString("O") })).GetProperty("id").GetGuid();

        using var response = await _sut.Client.DeleteAsync($"/api/v1/jobs/{cancelled}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await _sut.WaitForStatusAsync([witness], "completed", Bound);
        var job = await _sut.GetJobAsync(cancelled);
        Assert.That(job.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(job.GetProperty("started_at").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task CancellingARunningJob_FiresItsToken_AndItEndsCancelled()
    {
        var id = (await _sut.EnqueueAsync(new { type = "sleep", payload = new { ms = 60_000 } })).GetProperty("id").GetGuid();
        await _sut.WaitForStatusAsync([id], "running", Bound);

        using var response = await _sut.Client.DeleteAsync($"/api/v1/jobs/{id}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));

        await _sut.WaitForStatusAsync([id], "cancelled", TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task JobOverItsTimeout_FailsWithTimedOut()
    {
        var id = (await _sut.EnqueueAsync(new { type = "sleep", payload = new { ms = 10_000 }, timeout_seconds = 1, max_attempts = 1 })).GetProperty("id").GetGuid();

        await _sut.WaitForStatusAsync([id], "dead", Bound);
        Assert.That((await _sut.GetJobAsync(id)).GetProperty("error_message").GetString(), Does.Contain("timed out"));
    }

    [Test]
    public async Task Gateway_AnswersInTheEnvelope_ForUnknownRoutesAndMissingKeys()
    {
        using var unknown = await _sut.Client.GetAsync("/api/v1/nope");
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), Does.Contain("/api/v1/nope"));

        using var anonymous = _sut.CreateClient(null);
        using var noKey = await anonymous.GetAsync("/api/v1/jobs");
        Assert.That(noKey.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await noKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("meta").GetProperty("request_id").GetString(), Is.Not.Empty);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/stats");
        request.Headers.Add("X-Request-Id", "e2e-request-1");
        using var stats = await _sut.Client.SendAsync(request);
        Assert.That((await stats.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("meta").GetProperty("request_id").GetString(), Is.EqualTo("e2e-request-1"));
    }

    [Test]
    public async Task Workers_AreListed_AndHealthAndMetricsAnswer()
    {
        await WaitUntil(async () =>
        {
            var workers = await _sut.Client.GetFromJsonAsync<JsonElement>("/api/v1/workers");
            return workers.GetProperty("data").GetArrayLength() >= 2;
        }, Bound, "two active workers");

        using var health = await _sut.Client.GetAsync("/health");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var metrics = await _sut.Client.GetStringAsync("/metrics");
        Assert.That(metrics, Does.Contain("# TYPE"));
    }
}
