using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using JobQueue.Core.Events;
using JobQueue.Core.Webhooks;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StackExchange.Redis;
using static JobQueue.Testing.Polling;

namespace Webhook.Dispatcher.Tests;

/// <summary>
/// Deliveries to a local receiver: signed, retried with backoff, logged attempt by attempt, taken over when a
/// dispatcher dies mid-delivery, and a failing subscription switched off. Until the relay exists the deliveries are
/// inserted as it will insert them (<see cref="WebhookStore.DeliveriesInsertAsync"/>), then the dispatcher is woken on
/// its Redis channel. Fast settings: retries 100 ms apart, 1 s timeout, 3 attempts, disabled after 2 given up.
/// </summary>
public sealed class DeliveryTests() : DispatcherFixture(FastDeliverySettings)
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private async Task<(Guid Id, string Secret)> SubscribeToAsync(string path)
    {
        var created = await SubscribeAsync(Tenant, $$"""{"url":"{{Receiver.Url(path)}}"}""");
        return (Id(created), created["secret"]!.GetValue<string>());
    }

    /// <summary>A job.completed delivery for <paramref name="webhookId"/>, inserted as the relay does, and the wake-up it publishes.</summary>
    private async Task<(Guid DeliveryId, LifecycleEvent Event)> RelayAsync(Guid webhookId, string owner = "default")
    {
        var e = new LifecycleEvent(EventNames.JobCompleted, owner, Guid.NewGuid(), "email.send", "default", 5, "completed", 1, 3, "w-1",
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), DurationMs: 12.5, TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        return (await RelayAsync(webhookId, e), e);
    }

    private async Task<JsonObject> DeliveryLogAsync(Guid webhookId, Guid deliveryId)
    {
        var (status, body) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{webhookId}/deliveries?limit=100");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return body["data"]!.AsArray().Single(d => d!["id"]!.GetValue<string>() == deliveryId.ToString())!.AsObject();
    }

    private async Task<JsonObject> WaitForStatusAsync(Guid webhookId, Guid deliveryId, string status)
    {
        JsonObject log = null!;
        await WaitUntil(async () => (log = await DeliveryLogAsync(webhookId, deliveryId))["status"]!.GetValue<string>() == status,
            Bound, $"delivery {deliveryId} {status}", Ct);
        return log;
    }

    [Test]
    public async Task Delivery_IsSignedTwice_AndTheVerifierRefusesAReplayedOldTimestamp()
    {
        var path = UniquePath();
        var (webhookId, secret) = await SubscribeToAsync(path);

        var (deliveryId, e) = await RelayAsync(webhookId);
        await WaitForStatusAsync(webhookId, deliveryId, DeliveryStatus.Succeeded);

        var got = Receiver.Received(path).Single();
        var verification = WebhookVerifier.Verify(secret, got.Body, got.Header("X-Webhook-Signature"), got.Header("X-Webhook-Timestamp"),
            got.Header("X-Webhook-Signature-Timestamped"), DateTimeOffset.UtcNow, WebhookVerifier.DefaultTolerance);
        var replayedAnHourLater = WebhookVerifier.Verify(secret, got.Body, got.Header("X-Webhook-Signature"), got.Header("X-Webhook-Timestamp"),
            got.Header("X-Webhook-Signature-Timestamped"), DateTimeOffset.UtcNow.AddHours(1), WebhookVerifier.DefaultTolerance);
        var forged = WebhookVerifier.Verify("whsec_not-the-secret", got.Body, got.Header("X-Webhook-Signature"), got.Header("X-Webhook-Timestamp"),
            got.Header("X-Webhook-Signature-Timestamped"), DateTimeOffset.UtcNow, WebhookVerifier.DefaultTolerance);
        using var body = JsonDocument.Parse(got.Body);
        var root = body.RootElement;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(verification, Is.EqualTo(WebhookVerification.Valid));
            Assert.That(replayedAnHourLater, Is.EqualTo(WebhookVerification.OutsideTolerance));
            Assert.That(forged, Is.EqualTo(WebhookVerification.BadSignature));
            Assert.That(got.Header("X-Webhook-Signature"), Is.EqualTo(WebhookSignature.Sign(secret, got.Body)), "the original's header, byte for byte");
            Assert.That(got.Header("User-Agent"), Is.EqualTo("jobqueue-webhook/1.0"));
            Assert.That(got.Header("Content-Type"), Does.StartWith("application/json"));
            Assert.That(got.Header("X-Webhook-Id"), Is.EqualTo(deliveryId.ToString()));
            Assert.That(got.Header("X-Webhook-Event"), Is.EqualTo("job.completed"));
            Assert.That(got.Header("traceparent"), Does.StartWith("00-0af7651916cd43dd8448eb211c80319c-"), "continues the job's trace");
            Assert.That(root.EnumerateObject().Select(p => p.Name).Take(4), Is.EqualTo(new[] { "event", "job_id", "job_type", "timestamp" }));
            Assert.That(root.GetProperty("job_id").GetGuid(), Is.EqualTo(e.JobId));
            Assert.That(root.GetProperty("timestamp").GetInt64(), Is.EqualTo(e.Ts));
            Assert.That(root.TryGetProperty("owner", out _), Is.False, "never the owner");
        }
    }

    [Test]
    public async Task Delivery_IsRetried_AfterTheReceiverFailsTwice_AndTheLogShowsEachAttempt()
    {
        var path = UniquePath();
        Receiver.Script(path, 500, 503);
        var (webhookId, _) = await SubscribeToAsync(path);

        var (deliveryId, _) = await RelayAsync(webhookId);
        var log = await WaitForStatusAsync(webhookId, deliveryId, DeliveryStatus.Succeeded);

        var attempts = log["attempt_log"]!.AsArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Receiver.Received(path).Select(r => r.Answered), Is.EqualTo(new[] { 500, 503, 200 }));
            Assert.That(attempts.Select(a => (a!["attempt"]!.GetValue<int>(), a["status_code"]!.GetValue<int>(), a["succeeded"]!.GetValue<bool>())),
                Is.EqualTo(new[] { (1, 500, false), (2, 503, false), (3, 200, true) }));
            Assert.That(attempts[0]!["error"]!.GetValue<string>(), Is.EqualTo("HTTP 500 Internal Server Error"));
            Assert.That(attempts.Select(a => a!["latency_ms"]!.GetValue<int>()), Has.All.GreaterThanOrEqualTo(0));
            Assert.That((log["delivered"]!.GetValue<bool>(), log["attempts"]!.GetValue<int>(), log["event"]!.GetValue<string>()), Is.EqualTo((true, 3, "job.completed")));
            Assert.That(log["job_id"]!.GetValue<Guid>(), Is.Not.EqualTo(Guid.Empty));
            Assert.That(Receiver.Received(path).Select(r => r.Header("X-Webhook-Id")).Distinct().Count(), Is.EqualTo(1), "one id across retries");
        }

        await WaitForOutcomeMetricAsync("failed_retrying");
        await WaitForOutcomeMetricAsync("succeeded");
        // And cluster-wide, in Redis, for the gateway's /metrics.
        var db = Factory.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = Factory.Services.GetRequiredService<RedisKeys>().Metrics("webhook-deliveries");
        await WaitUntil(async () => (long)await db.HashGetAsync(key, "failed_retrying") >= 2 && (long)await db.HashGetAsync(key, "succeeded") >= 1,
            Bound, "the system-wide counters in Redis", Ct);
    }

    [Test]
    public async Task Delivery_ThatHangs_TimesOut_AndIsRetried()
    {
        var path = UniquePath();
        Receiver.Script(path, WebhookReceiver.Hang);
        var (webhookId, _) = await SubscribeToAsync(path);

        var (deliveryId, _) = await RelayAsync(webhookId);
        var log = await WaitForStatusAsync(webhookId, deliveryId, DeliveryStatus.Succeeded);

        var first = log["attempt_log"]![0]!;
        Assert.That(first["status_code"], Is.Null);
        Assert.That(first["error"]!.GetValue<string>(), Is.EqualTo("no answer within 1 s"));
        Assert.That(log["attempt_log"]!.AsArray(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Delivery_HeldByADispatcherThatDied_IsDeliveredByAnother_WhenItsLeaseExpires()
    {
        var path = UniquePath();
        var (webhookId, _) = await SubscribeToAsync(path);
        // A second dispatcher that claims the delivery and dies before sending or recording anything: its claim is the
        // whole trace it leaves. Claimed here with the store, before the running dispatcher can see the row.
        var (deliveryId, e) = (Guid.NewGuid(), EventNames.JobCompleted);
        await using (var conn = await DataSource.OpenConnectionAsync(Ct))
        {
            await conn.ExecuteAsync(
                """
                INSERT INTO webhook_deliveries (id, webhook_id, owner, event_id, event, job_id, payload, status, attempts, next_attempt_at, lease_until, created_at)
                VALUES (@deliveryId, @webhookId, 'default', @eventId, @e, NULL, @payload::jsonb, 'delivering', 1, now(), now() + interval '2 seconds', now())
                """,
                new
                {
                    deliveryId, webhookId, e, eventId = "9." + deliveryId.ToString("N"),
                    payload = JsonSerializer.Serialize(new LifecycleEvent(e, "default", Guid.NewGuid(), "noop", "default", 5, "completed", 1, 1, null, 1)),
                });
        }

        var log = await WaitForStatusAsync(webhookId, deliveryId, DeliveryStatus.Succeeded);

        Assert.That(Receiver.Received(path).Select(r => r.Header("X-Webhook-Id")), Is.EqualTo(new[] { deliveryId.ToString() }));
        Assert.That(log["attempt_log"]!.AsArray().Select(a => a!["attempt"]!.GetValue<int>()), Is.EqualTo(new[] { 2 }), "the dead one's attempt counted, unlogged");
    }

    [Test]
    public async Task Webhook_IsDisabled_AfterTwoDeliveriesInARowAreGivenUp()
    {
        var path = UniquePath();
        Receiver.Script(path, 500, 500, 500, 500, 500, 500);
        var (webhookId, _) = await SubscribeToAsync(path);

        var (first, _) = await RelayAsync(webhookId);
        await WaitForStatusAsync(webhookId, first, DeliveryStatus.Failed);
        var (second, _) = await RelayAsync(webhookId);
        await WaitForStatusAsync(webhookId, second, DeliveryStatus.Failed);
        var (third, _) = await RelayAsync(webhookId);

        var (_, webhook) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{webhookId}");
        var data = webhook["data"]!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(data["enabled"]!.GetValue<bool>(), Is.False);
            Assert.That(data["consecutive_failures"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(data["disabled_reason"]!.GetValue<string>(), Does.Contain("2 deliveries in a row").And.Contain("HTTP 500"));
            Assert.That(Receiver.Received(path), Has.Count.EqualTo(6), "3 attempts each");
        }

        await WaitForOutcomeMetricAsync("gave_up");

        // Switched back on, the waiting delivery goes out (the receiver answers 200 again).
        var (status, _) = await SendAsync(Tenant, HttpMethod.Patch, $"/api/v1/webhooks/{webhookId}", """{"enabled":true}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        await WaitForStatusAsync(webhookId, third, DeliveryStatus.Succeeded);
    }

    [Test]
    public async Task TestEndpoint_QueuesASignedTestDelivery()
    {
        var path = UniquePath();
        var (webhookId, secret) = await SubscribeToAsync(path);

        var (status, body) = await SendAsync(Tenant, HttpMethod.Post, $"/api/v1/webhooks/{webhookId}/test");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted), body.ToJsonString());
        await WaitUntil(() => Receiver.Received(path).Count == 1, Bound, "the test delivery arrives", Ct);
        var got = Receiver.Received(path)[0];
        Assert.That(got.Header("X-Webhook-Event"), Is.EqualTo("webhook.test"));
        Assert.That(got.Header("X-Webhook-Signature"), Is.EqualTo(WebhookSignature.Sign(secret, got.Body)));
    }
}
