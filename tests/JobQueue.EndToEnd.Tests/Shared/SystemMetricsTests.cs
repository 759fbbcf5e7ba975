using System.Net;
using System.Net.Http.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// The gateway's <c>/metrics</c> through the whole system: every family the issue names is there, and each one moves
/// when the thing it counts happens (real jobs on real workers, a real WebSocket client, a real webhook delivery).
/// </summary>
[TestFixture]
public sealed class SystemMetricsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly string[] Families =
    [
        "jobqueue_jobs_enqueued_total", "jobqueue_jobs_completed_total", "jobqueue_jobs_failed_total", "jobqueue_jobs_dead_total",
        "jobqueue_jobs_cancelled_total", "jobqueue_job_duration_seconds", "jobqueue_job_wait_seconds", "jobqueue_queue_depth",
        "jobqueue_jobs_running", "jobqueue_active_workers", "jobqueue_ws_clients", "jobqueue_webhook_deliveries_total",
    ];

    private static readonly string Later = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ");

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task EveryFamily_IsExposed_WithItsType()
    {
        var metrics = await ScrapeAsync();

        Assert.That(Families.Where(f => !metrics.Types.ContainsKey(f)), Is.Empty, "families missing from the gateway's /metrics");
        Assert.That(metrics.DuplicateFamilies, Is.Empty);
        Assert.That(metrics.Types["jobqueue_job_duration_seconds"], Is.EqualTo("histogram"));
        Assert.That(metrics.Types["jobqueue_jobs_completed_total"], Is.EqualTo("counter"));
    }

    [Test]
    public async Task JobCountersAndHistograms_Move_AsJobsRun()
    {
        var type = "metrics." + Guid.NewGuid().ToString("N")[..8]; // a job type of this test only: its series start at 0
        var before = await ScrapeAsync();

        await _sut.EnqueueIdAsync(new { type = "echo", payload = new { n = 1 } });
        await _sut.EnqueueIdAsync(new { type = "fail", max_attempts = 2 });
        var delayed = await _sut.EnqueueIdAsync(new { type, queue_name = "bulk", scheduled_at = Later });
        using (var cancel = await _sut.Client.DeleteAsync($"/api/v1/jobs/{delayed}"))
        {
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK), (await cancel.EnvelopeAsync()).ToString());
        }

        Exposition after = before;
        await WaitUntil(async () =>
        {
            after = await ScrapeAsync();
            // Other fixtures run echo and fail jobs on other queues too: each series is named by queue and type.
            return Grew(before, after, "jobqueue_jobs_completed_total", ("queue", "default"), ("job_type", "echo"))
                && Grew(before, after, "jobqueue_jobs_dead_total", ("queue", "default"), ("job_type", "fail"))
                && after.Value("jobqueue_jobs_cancelled_total", ("queue", "bulk"), ("job_type", type)) >= 1;
        }, Bound, "the completed, dead and cancelled counters moved");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Value("jobqueue_jobs_enqueued_total", ("queue", "bulk"), ("job_type", type)), Is.EqualTo(1));
            Assert.That(Grew(before, after, "jobqueue_jobs_enqueued_total", ("queue", "default"), ("job_type", "echo")), Is.True, "enqueued");
            Assert.That(Grew(before, after, "jobqueue_jobs_failed_total", ("queue", "default"), ("job_type", "fail")), Is.True, "failed (first attempt)");
            Assert.That(Grew(before, after, "jobqueue_job_duration_seconds_count", ("queue", "default"), ("job_type", "echo")), Is.True, "duration observed");
            Assert.That(Grew(before, after, "jobqueue_job_wait_seconds_count", ("queue", "default"), ("job_type", "echo")), Is.True, "wait observed");
            Assert.That(after.Value("jobqueue_job_duration_seconds_bucket", ("queue", "default"), ("job_type", "echo"), ("le", "+Inf")),
                Is.EqualTo(after.Value("jobqueue_job_duration_seconds_count", ("queue", "default"), ("job_type", "echo"))));
        }
    }

    [Test]
    public async Task Gauges_FollowTheSystem()
    {
        // Waiting jobs: three delayed bulk jobs raise the bulk queue's depth.
        var before = await ScrapeAsync();
        for (var i = 0; i < 3; i++)
        {
            await _sut.EnqueueIdAsync(new { type = "noop", queue_name = "bulk", scheduled_at = Later });
        }

        // Each gauge is awaited on its own: Jobs.Api reports its WebSocket clients every 5 s, longer than the sleep runs,
        // so a wait for all four at once in one scrape failed whenever the report came after the job ended (CI, 1 run in 3).
        await using var socket = await LiveSocket.ConnectAsync(WsUri($"api_key={_sut.ApiKey}&types=job.completed"));
        var sleeping = await _sut.EnqueueIdAsync(new { type = "sleep", payload = new { ms = 4000 } });

        bool depthSeen = false, runningSeen = false, clientSeen = false, workersSeen = false;
        await WaitUntil(async () =>
        {
            var now = await ScrapeAsync();
            depthSeen |= now.Value("jobqueue_queue_depth", ("queue", "bulk")) >= before.Value("jobqueue_queue_depth", ("queue", "bulk")) + 3;
            runningSeen |= now.Value("jobqueue_jobs_running") >= 1;
            clientSeen |= now.Value("jobqueue_ws_clients") >= 1;
            workersSeen |= now.Value("jobqueue_active_workers") == 2;
            return depthSeen && runningSeen && clientSeen && workersSeen;
        }, Bound, "queue depth, running jobs, WebSocket clients and active workers reflect the system");

        await socket.DisposeAsync();
        await WaitUntil(async () => (await _sut.GetJobAsync(sleeping)).GetProperty("status").GetString() == "completed", Bound, "the sleep job ended");
        await WaitUntil(async () => (await ScrapeAsync()).Value("jobqueue_jobs_running") == 0, Bound, "no job runs any more");
    }

    [Test]
    public async Task WebhookDeliveries_AreCountedByOutcome()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Script("metrics", 500); // the first attempt fails, the retry succeeds
        var before = await ScrapeAsync();
        using (var created = await _sut.Client.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url("metrics"), events = new[] { "job.completed" } }))
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), (await created.EnvelopeAsync()).ToString());
        }

        await _sut.EnqueueIdAsync(new { type = "noop" });

        await WaitUntil(async () =>
        {
            var now = await ScrapeAsync();
            return Grew(before, now, "jobqueue_webhook_deliveries_total", ("outcome", "failed_retrying"))
                && Grew(before, now, "jobqueue_webhook_deliveries_total", ("outcome", "succeeded"));
        }, Bound, "a failed attempt and then a successful delivery are counted");
    }

    private static bool Grew(Exposition before, Exposition after, string name, params (string, string)[] labels) =>
        after.Value(name, labels) > before.Value(name, labels);

    private async Task<Exposition> ScrapeAsync()
    {
        using var plain = new HttpClient { BaseAddress = new Uri(_sut.GatewayUrl) };
        using var response = await plain.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return Exposition.Parse(text);
    }

    private Uri WsUri(string query) => new UriBuilder(_sut.GatewayUrl) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
}
