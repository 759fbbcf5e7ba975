using System.Net;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Storage.Postgres;
using JobQueue.Testing;
using NUnit.Framework;
using static JobQueue.Testing.Polling;

namespace Webhook.Dispatcher.Tests;

/// <summary>
/// The default address rule (public addresses only): a loopback URL is refused at subscription, and a host name
/// that resolves to loopback — the DNS-rebinding case, or a subscription made before the rule tightened — is
/// refused when connecting and logged as blocked. Nothing reaches the receiver.
/// </summary>
public sealed class AddressPolicyTests() : DispatcherFixture(new Dictionary<string, string>
{
    ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "false",
    ["WEBHOOK_POLL_INTERVAL"] = "200ms",
})
{
    [Test]
    public async Task Subscribe_ToALoopbackAddress_Is422()
    {
        var (status, body) = await SendAsync(Tenant, HttpMethod.Post, "/api/v1/webhooks", $$"""{"url":"{{Receiver.Url("x")}}"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(Envelope.Error(body), Is.EqualTo("'url' host 127.0.0.1 is refused: loopback, private, link-local and multicast addresses are not allowed"));
    }

    [Test]
    public async Task Delivery_ToANameResolvingToLoopback_IsBlockedAtConnect_AndGivenUp()
    {
        var path = UniquePath();
        var now = PostgresTime.Truncate(DateTime.UtcNow);
        // Written to the store directly: the API refuses 'localhost', but a public name can point anywhere by the
        // time a delivery is made.
        var webhook = new WebhookSubscription
        {
            Id = Guid.NewGuid(), Owner = "default", Url = $"http://localhost:{Receiver.Port}/{path}", Secret = "0123456789abcdef0123", CreatedAt = now, UpdatedAt = now,
        };
        await Store.WebhooksInsertAsync(webhook, Ct);
        var e = new LifecycleEvent(EventNames.JobCompleted, "default", Guid.NewGuid(), "noop", "default", 5, "completed", 1, 1, null, 1);
        var deliveryId = Guid.NewGuid();
        await Store.DeliveriesInsertAsync(new NewDelivery(deliveryId, webhook.Id, "default", "1.1", e.Event, e.JobId, JsonSerializer.Serialize(e), null, now, now), Ct);

        DeliveryLog? log = null;
        await WaitUntil(async () => (log = (await Store.DeliveriesListAsync(webhook.Id, 10, 0, Ct)).Items.Single()).Status == DeliveryStatus.Failed,
            TimeSpan.FromSeconds(30), "the delivery is given up", Ct);

        var attempt = log!.AttemptLog.Single();
        Assert.That(attempt.Error, Does.StartWith("blocked: connection to localhost").And.Contain("refused"));
        Assert.That(attempt.StatusCode, Is.Null);
        Assert.That(Receiver.Received(path), Is.Empty);
        await WaitForOutcomeMetricAsync("blocked");
    }
}
