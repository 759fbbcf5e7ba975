using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// The HTTP lease protocol through the gateway: a remote worker (here, the test itself, speaking plain HTTP as a worker in
/// any language would) leases jobs of its own types, heartbeats, completes or fails them with its lease token, and
/// stops. Each test uses a job type of its own, so the built-in workers (which never claim such a type) and the other
/// fixtures never touch its jobs.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RemoteWorkerTests
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;
    private HttpClient _tenant = null!;

    [OneTimeSetUp]
    public async Task RegisterATenantAsync()
    {
        _sut = SharedSystem.System;
        _tenant = await _sut.RegisterTenantAsync("remote");
    }

    [Test]
    public async Task AJobOfARemoteType_WaitsUnserved_ThenIsLeasedHeartbeatenAndCompleted_AsTheBuiltInWorkersLeaveIt()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type, payload = new { to = "ada@example.com" }, max_attempts = 2 });

        // No live worker serves the type: the job waits, counted as unserved, and a built-in worker never claims it.
        var stats = await DataAsync(_tenant, "/api/v1/stats");
        Assert.That(stats.GetProperty("unserved").GetInt64(), Is.GreaterThanOrEqualTo(1), stats.ToString());
        Assert.That(stats.GetProperty("unserved_types").EnumerateArray().Select(t => (t.GetProperty("type").GetString(), t.GetProperty("waiting").GetInt64())),
            Does.Contain((type, 1L)), stats.ToString());
        await WaitUntil(async () => await UnservedGaugeAsync() >= 1, Bound, "the gateway's jobqueue_jobs_unserved gauge counts the waiting job");
        var waiting = await JobAsync(_tenant, id);
        Assert.That((waiting.GetProperty("status").GetString(), waiting.GetProperty("attempts").GetInt32()), Is.EqualTo(("pending", 0)), waiting.ToString());

        var worker = NewWorkerId();
        var leased = (await LeaseAsync(_tenant, new { worker_id = worker, host = "build-box", types = new[] { type }, max = 5, lease_seconds = 30 })).Single();
        var token = leased.GetProperty("lease_token").GetString()!;
        var expires = leased.GetProperty("lease_expires_at").GetDateTimeOffset();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(leased.GetProperty("id").GetGuid(), Is.EqualTo(id));
            Assert.That(leased.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(leased.GetProperty("attempts").GetInt32(), Is.EqualTo(1));
            Assert.That(leased.GetProperty("worker_id").GetString(), Is.EqualTo(worker));
            Assert.That(leased.GetProperty("payload").GetProperty("to").GetString(), Is.EqualTo("ada@example.com"));
            Assert.That(token, Is.Not.Empty);
            Assert.That(expires, Is.GreaterThan(DateTimeOffset.UtcNow.AddSeconds(20)), "about lease_seconds from now");
        }

        // The worker is listed with what it serves.
        var listed = (await DataAsync(_tenant, "/api/v1/workers")).EnumerateArray().Single(w => w.GetProperty("id").GetString() == worker);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed.GetProperty("kind").GetString(), Is.EqualTo("remote"));
            Assert.That(listed.GetProperty("types").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { type }));
            Assert.That(listed.GetProperty("host").GetString(), Is.EqualTo("build-box"));
            Assert.That(listed.GetProperty("status").GetString(), Is.EqualTo("active"));
        }

        // A heartbeat extends the lease and stores the progress on the job.
        var beat = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/heartbeat", new { lease_token = token, progress = new { pct = 50 }, lease_seconds = 60 });
        Assert.That(beat.GetProperty("cancel_requested").GetBoolean(), Is.False);
        Assert.That(beat.GetProperty("lease_expires_at").GetDateTimeOffset(), Is.GreaterThan(expires));
        Assert.That((await JobAsync(_tenant, id)).GetProperty("progress").GetProperty("pct").GetInt32(), Is.EqualTo(50));

        var completed = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = token, result = new { sent = true } });
        Assert.That(completed.GetProperty("status").GetString(), Is.EqualTo("completed"));
        using (var result = await _tenant.GetAsync($"/api/v1/jobs/{id}/result"))
        {
            Assert.That(await result.Content.ReadAsStringAsync(), Is.EqualTo("""{"sent": true}"""));
        }

        var attempts = (await DataAsync(_tenant, $"/api/v1/jobs/{id}/attempts")).GetProperty("items");
        Assert.That(attempts.EnumerateArray().Select(a => (a.GetProperty("attempt").GetInt32(), a.GetProperty("worker_id").GetString(), a.GetProperty("outcome").GetString())),
            Is.EqualTo(new[] { (1, worker, "completed") }), attempts.ToString());

        // A type a live worker serves is not unserved: a second job of it waits for that worker, not for nobody.
        await EnqueueAsync(_tenant, new { type });
        var served = await DataAsync(_tenant, "/api/v1/stats");
        Assert.That(served.GetProperty("unserved_types").EnumerateArray().Select(t => t.GetProperty("type").GetString()), Does.Not.Contain(type), served.ToString());
    }

    [Test]
    public async Task AReportWithoutTheLease_IsRefused_409_ForAForeignOrSpentToken_404_ForAnUnknownOrAnotherTenantsJob()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type });
        var token = (await LeaseAsync(_tenant, new { worker_id = NewWorkerId(), types = new[] { type } })).Single().GetProperty("lease_token").GetString();

        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = Guid.NewGuid().ToString(), result = 1 }, HttpStatusCode.Conflict, "not leased with this token");
        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{id}/heartbeat", new { lease_token = "not-a-token" }, HttpStatusCode.BadRequest, "lease_token");
        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{Guid.NewGuid()}/complete", new { lease_token = token }, HttpStatusCode.NotFound, "not found");
        await ExpectErrorAsync(_tenant, "/api/v1/jobs/not-a-uuid/complete", new { lease_token = token }, HttpStatusCode.BadRequest, "job");
        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{id}/fail", new { error = "no token" }, HttpStatusCode.UnprocessableEntity, "lease_token");

        // Another tenant holding the token learns nothing: the job is not found for it.
        using var stranger = await _sut.RegisterTenantAsync("remote-stranger");
        await ExpectErrorAsync(stranger, $"/api/v1/jobs/{id}/complete", new { lease_token = token }, HttpStatusCode.NotFound, "not found");

        await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = token });
        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = token }, HttpStatusCode.Conflict, "not leased with this token");
        Assert.That((await JobAsync(_tenant, id)).GetProperty("status").GetString(), Is.EqualTo("completed"), "the second answer changed nothing");
    }

    [Test]
    public async Task AnExpiredLease_MakesTheJobRunAgain_AndItsOldTokenIsRefused()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type, max_attempts = 3 });
        var first = NewWorkerId();
        var stale = (await LeaseAsync(_tenant, new { worker_id = first, types = new[] { type }, lease_seconds = 5 })).Single().GetProperty("lease_token").GetString();

        // The worker goes silent: the rescue puts the job back, counting the lost attempt, and another worker leases it.
        var second = NewWorkerId();
        JsonElement again = default;
        await WaitUntil(async () =>
        {
            var jobs = await LeaseAsync(_tenant, new { worker_id = second, types = new[] { type }, wait_seconds = 5 });
            again = jobs.SingleOrDefault();
            return jobs.Count == 1;
        }, Bound, "the job is leased again after its first lease expired");
        Assert.That((again.GetProperty("id").GetGuid(), again.GetProperty("attempts").GetInt32()), Is.EqualTo((id, 2)));
        var fresh = again.GetProperty("lease_token").GetString();
        Assert.That(fresh, Is.Not.EqualTo(stale));

        await ExpectErrorAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = stale, result = "late" }, HttpStatusCode.Conflict, "not leased with this token");
        await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/complete", new { lease_token = fresh, result = "on time" });

        var attempts = (await DataAsync(_tenant, $"/api/v1/jobs/{id}/attempts")).GetProperty("items");
        Assert.That(attempts.EnumerateArray().Select(a => (a.GetProperty("attempt").GetInt32(), a.GetProperty("worker_id").GetString(), a.GetProperty("outcome").GetString())),
            Is.EqualTo(new[] { (1, first, "lost"), (2, second, "completed") }), attempts.ToString());
        using var result = await _tenant.GetAsync($"/api/v1/jobs/{id}/result");
        Assert.That(await result.Content.ReadAsStringAsync(), Is.EqualTo("\"on time\""));
    }

    [Test]
    public async Task ALease_IsTenantScoped_TheAdminKeyLeasesAnyTenantsJobs()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type });
        using var other = await _sut.RegisterTenantAsync("remote-other");

        Assert.That(await LeaseAsync(other, new { worker_id = NewWorkerId(), types = new[] { type } }), Is.Empty, "another tenant's key leases none of this tenant's jobs");

        using var admin = _sut.CreateClient(SharedSystem.AdminKey);
        var leased = (await LeaseAsync(admin, new { worker_id = NewWorkerId(), types = new[] { type } })).Single();
        Assert.That(leased.GetProperty("id").GetGuid(), Is.EqualTo(id));
        Assert.That(leased.GetProperty("tenant").GetString(), Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public async Task AWorkerId_IsItsTenantsWhileItsWorkerLives_ThenAnyTenantMayTakeIt()
    {
        var worker = NewWorkerId();
        var type = NewType();
        Assert.That(await LeaseAsync(_tenant, new { worker_id = worker, types = new[] { type } }), Is.Empty);

        using var other = await _sut.RegisterTenantAsync("remote-other");
        await ExpectErrorAsync(other, "/api/v1/workers/lease", new { worker_id = worker, types = new[] { type } }, HttpStatusCode.Conflict, "is taken");
        using (var unknown = await other.DeleteAsync($"/api/v1/workers/{worker}"))
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another tenant cannot stop it");
        }

        // The graceful stop: the worker says so, and is listed stopped.
        using (var stopped = await _tenant.DeleteAsync($"/api/v1/workers/{worker}"))
        {
            Assert.That(stopped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        var listed = (await DataAsync(_tenant, "/api/v1/workers?active_only=false")).EnumerateArray().Single(w => w.GetProperty("id").GetString() == worker);
        Assert.That(listed.GetProperty("status").GetString(), Is.EqualTo("stopped"));
        Assert.That((await DataAsync(_tenant, "/api/v1/workers")).EnumerateArray().Select(w => w.GetProperty("id").GetString()), Does.Not.Contain(worker), "not among the active ones");

        Assert.That(await LeaseAsync(other, new { worker_id = worker, types = new[] { type } }), Is.Empty, "a stopped worker's id passes to the next tenant that uses it");
        Assert.That((await DataAsync(_tenant, "/api/v1/workers?active_only=false")).EnumerateArray().Select(w => w.GetProperty("id").GetString()), Does.Not.Contain(worker), "and leaves the first tenant's list");
    }

    [Test]
    public async Task ALongPollingLease_ReturnsAJobEnqueuedWhileItWaits()
    {
        var type = NewType();
        var lease = LeaseAsync(_tenant, new { worker_id = NewWorkerId(), types = new[] { type }, wait_seconds = 20 });
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(lease.IsCompleted, Is.False, "with nothing ready the lease waits");

        var id = await EnqueueAsync(_tenant, new { type });
        var leased = await lease;
        Assert.That(leased.Select(j => j.GetProperty("id").GetGuid()), Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task ARunningJobCancelled_IsToldAtTheNextHeartbeat_AndEndsCancelledWhenTheWorkerGivesUp()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type });
        var token = (await LeaseAsync(_tenant, new { worker_id = NewWorkerId(), types = new[] { type } })).Single().GetProperty("lease_token").GetString();

        using (var cancel = await _tenant.DeleteAsync($"/api/v1/jobs/{id}"))
        {
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), (await cancel.EnvelopeAsync()).ToString());
        }

        var beat = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/heartbeat", new { lease_token = token });
        Assert.That(beat.GetProperty("cancel_requested").GetBoolean(), Is.True);
        var ended = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/fail", new { lease_token = token, error = "cancelled by the user" });
        Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task AFailedAttempt_IsRetriedWithBackoff_UnlessNotRetryable_ThenTheJobIsDeadInTheDlq()
    {
        var type = NewType();
        var id = await EnqueueAsync(_tenant, new { type, max_attempts = 3 });
        var worker = NewWorkerId();
        var token = (await LeaseAsync(_tenant, new { worker_id = worker, types = new[] { type } })).Single().GetProperty("lease_token").GetString();

        var failed = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/fail", new { lease_token = token, error = "the mail server said 451" });
        Assert.That((failed.GetProperty("status").GetString(), failed.GetProperty("error_message").GetString()), Is.EqualTo(("failed", "the mail server said 451")));
        Assert.That(failed.GetProperty("scheduled_at").GetDateTimeOffset(), Is.GreaterThan(DateTimeOffset.UtcNow.AddMilliseconds(-50)), "the retry waits its backoff");

        JsonElement retry = default;
        await WaitUntil(async () =>
        {
            var jobs = await LeaseAsync(_tenant, new { worker_id = worker, types = new[] { type }, wait_seconds = 2 });
            retry = jobs.SingleOrDefault();
            return jobs.Count == 1;
        }, Bound, "the failed job is leased again after its backoff");
        Assert.That(retry.GetProperty("attempts").GetInt32(), Is.EqualTo(2));

        var dead = await PostDataAsync(_tenant, $"/api/v1/jobs/{id}/fail", new { lease_token = retry.GetProperty("lease_token").GetString(), error = "no such recipient", retryable = false });
        Assert.That(dead.GetProperty("status").GetString(), Is.EqualTo("dead"), "not retryable: dead with an attempt left");
        var dlq = await DataAsync(_tenant, "/api/v1/dlq");
        Assert.That(dlq.EnumerateArray().Select(e => e.GetProperty("job_id").GetGuid()), Does.Contain(id), dlq.ToString());
    }

    [TestCase("""{"types": ["x.y"]}""", "worker_id")]
    [TestCase("""{"worker_id": "w", "types": []}""", "types")]
    [TestCase("""{"worker_id": "w", "types": ["echo"]}""", "built-in")]
    [TestCase("""{"worker_id": "w", "types": ["x.y"], "max": 101}""", "max")]
    [TestCase("""{"worker_id": "w", "types": ["x.y"], "wait_seconds": 21}""", "wait_seconds")]
    [TestCase("""{"worker_id": "w", "types": ["x.y"], "queues": ["nope"]}""", "queue")]
    public async Task ABadLeaseRequest_IsRefused422_WithAMessage(string body, string named)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _tenant.PostAsync("/api/v1/workers/lease", content);
        var error = await response.ErrorEnvelopeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.That(error.GetProperty("error").GetString(), Does.Contain(named));
    }

    private static string NewType() => "remote." + Guid.NewGuid().ToString("N")[..10];

    private static string NewWorkerId() => "e2e-" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<Guid> EnqueueAsync(HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/jobs", request);
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return body.GetProperty("data").GetProperty("id").GetGuid();
    }

    private static async Task<List<JsonElement>> LeaseAsync(HttpClient client, object request) =>
        [.. (await PostDataAsync(client, "/api/v1/workers/lease", request)).EnumerateArray()];

    private static async Task<JsonElement> PostDataAsync(HttpClient client, string path, object request)
    {
        using var response = await client.PostAsJsonAsync(path, request);
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"POST {path}: {body}");
        return body.GetProperty("data").Clone();
    }

    private static async Task<JsonElement> DataAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {path}: {body}");
        return body.GetProperty("data").Clone();
    }

    private static Task<JsonElement> JobAsync(HttpClient client, Guid id) => DataAsync(client, $"/api/v1/jobs/{id}");

    private static async Task ExpectErrorAsync(HttpClient client, string path, object request, HttpStatusCode status, string message)
    {
        using var response = await client.PostAsJsonAsync(path, request);
        var error = await response.ErrorEnvelopeAsync(status);
        Assert.That(error.GetProperty("error").GetString(), Does.Contain(message), $"POST {path}");
    }

    private async Task<double> UnservedGaugeAsync()
    {
        using var plain = new HttpClient { BaseAddress = new Uri(_sut.GatewayUrl) };
        return Exposition.Parse(await plain.GetStringAsync("/metrics")).Value("jobqueue_jobs_unserved");
    }
}
