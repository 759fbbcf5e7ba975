using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Core.Webhooks;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// Webhooks through the gateway to a receiver on 127.0.0.1 (allowed: the AppHost lets Development reach loopback):
/// a job's lifecycle arrives signed, and a tenant never gets another tenant's events.
/// </summary>
[TestFixture]
public sealed class WebhookTests() : WebhookSystemFixture(dispatchers: 1)
{
    [Test]
    public async Task AnEchoJob_SendsEnqueuedStartedCompleted_SignedAndVerifiable()
    {
        var path = UniquePath();
        var (_, secret) = await SubscribeAsync(Sut.Client, path, "job.enqueued", "job.started", "job.completed");

        var jobId = await Sut.EnqueueIdAsync(new { type = "echo", payload = new { hello = "webhooks" } });

        List<(string Event, ReceivedWebhook Request)> got = [];
        // Deliveries are independent (one may be retried), so they may arrive in any order.
        await WaitUntil(() => (got = EventsOf(path, jobId)).Select(e => e.Event).Distinct().Count() >= 3, Bound, $"three events of {jobId} delivered");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(got.Select(e => e.Event).Distinct(), Is.EquivalentTo(new[] { "job.enqueued", "job.started", "job.completed" }));
            foreach (var (name, r) in got)
            {
                var verdict = WebhookVerifier.Verify(secret, r.Body, r.Header(WebhookSignature.SignatureHeader), r.Header(WebhookSignature.TimestampHeader),
                    r.Header(WebhookSignature.TimestampedSignatureHeader), DateTimeOffset.UtcNow, WebhookVerifier.DefaultTolerance);
                Assert.That(verdict, Is.EqualTo(WebhookVerification.Valid), name);
                Assert.That(r.Header(WebhookSignature.EventHeader), Is.EqualTo(name));
            }
        }
    }

    [Test]
    public async Task ATenantsWebhook_NeverReceivesAnotherTenantsJobEvents()
    {
        using var admin = Sut.CreateClient(AdminKey);
        var (tenantPath, adminPath) = (UniquePath(), UniquePath());
        var (_, _) = await SubscribeAsync(Sut.Client, tenantPath);
        var (adminHook, _) = await SubscribeAsync(admin, adminPath);

        var tenantJob = await Sut.EnqueueIdAsync(new { type = "echo", payload = new { who = "tenant" } });
        using var adminEnqueue = await admin.PostAsJsonAsync("/api/v1/jobs", new { type = "echo", payload = new { who = "admin" } });
        var adminJob = (await adminEnqueue.EnvelopeAsync()).GetProperty("data").GetProperty("id").GetGuid();

        await WaitUntil(() => EventsOf(tenantPath, tenantJob).Any(e => e.Event == "job.completed"), Bound, "the tenant's webhook gets its own job");
        await WaitUntil(() => EventsOf(adminPath, adminJob).Any(e => e.Event == "job.completed"), Bound, "the admin's webhook gets its own job");

        // Both jobs' events went through the relay in the same way: had any crossed, its delivery row would exist.
        var crossed = await Sut.ScalarAsync<long>("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = @hook AND job_id = @job", ("hook", adminHook), ("job", tenantJob));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(crossed, Is.Zero);
            Assert.That(EventsOf(adminPath, tenantJob), Is.Empty);
            Assert.That(EventsOf(tenantPath, adminJob), Is.Empty);
        }
    }
}

/// <summary>A whole system with <c>dispatchers</c> webhook dispatcher replicas, a local receiver, and subscription helpers.</summary>
public abstract class WebhookSystemFixture(int dispatchers)
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    protected const string AdminKey = "test-admin-key";

    protected SystemUnderTest Sut { get; private set; } = null!;
    protected WebhookReceiver Receiver { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        var environment = Api.FastEnvironment();
        environment["ADMIN_KEY"] = AdminKey;
        // A hanging receiver holds a delivery for the whole timeout; the lease outlives it a little.
        environment["WEBHOOK_TIMEOUT"] = "10s";
        environment["WEBHOOK_LEASE"] = "12s";
        environment["WEBHOOK_POLL_INTERVAL"] = "1s";
        environment["WEBHOOK_RETRY_BASE_DELAY"] = "200ms";
        // Which replica is sending what: the kill test picks its victim by this line.
        environment["Logging__LogLevel__Webhook.Dispatcher.Delivery"] = "Debug";
        Sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, WebhookDispatchers = dispatchers, Environment = environment });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Sut is not null)
        {
            await Sut.DisposeAsync();
        }

        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }
    }

    protected static string UniquePath() => "e2e-" + Guid.NewGuid().ToString("N")[..12];

    protected async Task<(Guid Id, string Secret)> SubscribeAsync(HttpClient client, string path, params string[] events)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = Receiver.Url(path), events });
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        var data = body.GetProperty("data");
        return (data.GetProperty("id").GetGuid(), data.GetProperty("secret").GetString()!);
    }

    protected List<(string Event, ReceivedWebhook Request)> EventsOf(string path, Guid jobId) =>
        [.. Receiver.Received(path)
            .Select(r => (Doc: JsonDocument.Parse(r.Body).RootElement, Request: r))
            .Where(x => x.Doc.GetProperty("job_id").GetGuid() == jobId)
            .Select(x => (x.Doc.GetProperty("event").GetString()!, x.Request))];
}

/// <summary>
/// Two dispatcher replicas: one SIGKILLed while it holds a delivery (the receiver hangs) loses nothing; its lease
/// expires and the other replica delivers. A fixture of its own, because it kills a replica; the gateway's health
/// checks then take the dead replica out of the rotation, so the API keeps answering.
/// </summary>
[TestFixture]
public sealed class WebhookFailoverTests() : WebhookSystemFixture(dispatchers: 2)
{
    [Test]
    public async Task ADispatcherKilledMidDelivery_LosesNothing_TheOtherReplicaDelivers()
    {
        var dispatchers = Sut.Processes.Where(p => p.Resource == "webhook-dispatcher" && p.IsAlive).ToList();
        Assert.That(dispatchers, Has.Count.EqualTo(2), "two dispatcher replicas run");
        var path = UniquePath();
        Receiver.Script(path, WebhookReceiver.Hang);
        var (webhookId, _) = await SubscribeAsync(Sut.Client, path, "job.completed");

        var jobId = await Sut.EnqueueIdAsync(new { type = "noop" });
        await WaitUntil(() => Receiver.Received(path).Count == 1, Bound, "the first attempt reaches the hanging receiver");
        var deliveryId = Receiver.Received(path)[0].Header(WebhookSignature.IdHeader)!;
        string? sending = null;
        await WaitUntil(() => (sending = Sut.LogLines.FirstOrDefault(l => l.Contains("Sending job.completed " + deliveryId, StringComparison.Ordinal))) is not null,
            Bound, "the sender's log line");
        var victim = dispatchers.Single(p => sending!.StartsWith(p.Name + ":", StringComparison.Ordinal));

        SystemUnderTest.Kill(victim);
        await WaitUntil(() => !victim.IsAlive, Bound, $"{victim.Name} is dead");

        await WaitUntil(() => Receiver.Received(path).Count(r => r.Answered == 200) == 1, Bound, "the other replica delivers");
        var redelivered = Receiver.Received(path)[^1];
        var status = await Sut.ScalarAsync<string>("SELECT status FROM webhook_deliveries WHERE id = @id", ("id", Guid.Parse(deliveryId)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(redelivered.Header(WebhookSignature.IdHeader), Is.EqualTo(deliveryId), "the same delivery, so the receiver can drop a repeat");
            Assert.That(JsonDocument.Parse(redelivered.Body).RootElement.GetProperty("job_id").GetGuid(), Is.EqualTo(jobId));
        }

        // The survivor logs the delivery once it has recorded it, a moment after the receiver answered.
        await WaitUntil(() => Sut.LogLines.Any(l => l.Contains("Delivered job.completed " + deliveryId, StringComparison.Ordinal) && !l.StartsWith(victim.Name, StringComparison.Ordinal)),
            Bound, "delivered by the survivor");

        await WaitUntil(async () => await Sut.ScalarAsync<string>("SELECT status FROM webhook_deliveries WHERE id = @id", ("id", Guid.Parse(deliveryId))) == "succeeded",
            Bound, $"delivery {deliveryId} of webhook {webhookId} recorded as succeeded (was {status})");

        // The gateway stops routing to the dead replica: ten requests in a row answer 200 (round robin would send
        // every other one to the dead replica, a 502, without health checks).
        await WaitUntil(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var list = await Sut.Client.GetAsync("/api/v1/webhooks");
                if (list.StatusCode != System.Net.HttpStatusCode.OK)
                {
                    return false;
                }
            }

            return true;
        }, Bound, "the gateway routes around the dead dispatcher replica");
    }
}
