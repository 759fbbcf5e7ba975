using System.Net;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Storage.Postgres;
using JobQueue.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Webhook.Dispatcher.Delivery;
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
        Assert.That(Envelope.Error(body), Is.EqualTo("'url' host 127.0.0.1 is refused: 127.0.0.0/8 (Loopback, RFC 1122 §3.2.1.3) is not globally reachable"));
    }

    /// <summary>Special-purpose ranges beyond the private ones, and IPv6 forms that carry a private IPv4 address.</summary>
    [TestCase("http://192.0.2.10/hook", "192.0.2.0/24 (Documentation (TEST-NET-1), RFC 5737)")]
    [TestCase("http://198.18.0.1/hook", "198.18.0.0/15 (Benchmarking, RFC 2544)")]
    [TestCase("http://[::169.254.169.254]/latest/meta-data/", "::/96 (IPv4-compatible Address (deprecated), RFC 4291 §2.5.5.1)")]
    [TestCase("http://[2002:a9fe:a9fe::]/", "2002::/16 (6to4, RFC 3056) carries 169.254.169.254")]
    [TestCase("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "2001::/32 (TEREDO, RFC 4380, RFC 8190) carries 10.0.0.1")]
    [TestCase("http://[64:ff9b::a00:1]/", "64:ff9b::/96 (IPv4-IPv6 Translat., RFC 6052) carries 10.0.0.1")]
    [TestCase("http://[3fff::1]/", "3fff::/20 (Documentation, RFC 9637)")]
    public async Task Subscribe_ToASpecialPurposeAddress_Is422_NamingTheBlock(string url, string reason)
    {
        var (status, body) = await SendAsync(Tenant, HttpMethod.Post, "/api/v1/webhooks", $$"""{"url":"{{url}}"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("is refused: " + reason));
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
            Id = Guid.NewGuid(), Owner = "default", Url = $"http://localhost:{Receiver.Port}/{path}", ProtectedSecret = Factory.Services.GetRequiredService<SigningSecrets>().Protect("0123456789abcdef0123"), CreatedAt = now, UpdatedAt = now,
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
