using System.Net;
using System.Text;
using Dapper;
using JobQueue.Core.Events;
using JobQueue.Core.Webhooks;
using JobQueue.Storage.Postgres;
using JobQueue.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Webhook.Dispatcher.Delivery;
using static JobQueue.Testing.Polling;

namespace Webhook.Dispatcher.Tests;

/// <summary>
/// Signing secrets at rest (issue 9): stored only in their Data Protection form, still signing with the original
/// secret, plain rows from before migration 0008 re-protected at start, and a dispatcher whose key ring differs
/// refusing to sign instead of sending unsigned.
/// </summary>
public sealed class SigningSecretTests() : DispatcherFixture(FastDeliverySettings)
{
    private const string Secret = "whsec_signing-secret-at-rest-0123456789";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task StoredSecret_IsNeitherTheSecretNorItsBase64_AndTheDeliveryIsSignedWithTheOriginal()
    {
        var path = UniquePath();
        var webhookId = Id(await SubscribeAsync(Tenant, $$"""{"url":"{{Receiver.Url(path)}}","secret":"{{Secret}}"}"""));

        var (plain, stored) = await StoredAsync(webhookId);
        await RelayAsync(webhookId);
        await WaitUntil(() => Receiver.Received(path).Count > 0, Bound, "the delivery arrives", Ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plain, Is.Null, "the plain column is never written");
            Assert.That(stored, Is.Not.Null);
            Assert.That(stored, Does.Not.Contain(Secret));
            Assert.That(stored, Does.Not.Contain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)).TrimEnd('=')));
            Assert.That(VerifyWith(Secret, Receiver.Received(path).Single()), Is.EqualTo(WebhookVerification.Valid));
        }
    }

    [Test]
    public async Task PlainSecret_FromBeforeTheMigration_IsReProtectedAtStart_AndStillSigns()
    {
        var path = UniquePath();
        var webhookId = await InsertPlainAsync(path); // from before the migration

        // A dispatcher starting on the half-migrated database, sharing the fixture's key ring.
        await using var restarted = new DispatcherFactory(ConnectionString, new Dictionary<string, string>
        {
            ["WEBHOOK_SECRET_KEYS_DIR"] = Factory.SecretKeysDirectory,
            ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "loopback",
        });
        using var client = restarted.CreateClient(DispatcherFactory.ApiKey);
        var (plain, stored) = await StoredAsync(webhookId);
        await RelayAsync(webhookId);
        await WaitUntil(() => Receiver.Received(path).Count > 0, Bound, "the delivery arrives", Ct);
        var (status, body) = await SendAsync(client, HttpMethod.Get, $"/api/v1/webhooks/{webhookId}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plain, Is.Null, "cleared at start");
            Assert.That(stored, Is.Not.Null.And.Not.Contain(Secret));
            Assert.That(VerifyWith(Secret, Receiver.Received(path).First()), Is.EqualTo(WebhookVerification.Valid));
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body["data"]!["has_secret"]!.GetValue<bool>(), Is.True);
            Assert.That(body["data"]!.AsObject().ContainsKey("secret"), Is.False);
        }
    }

    [Test]
    public async Task PlainSecret_WrittenWhileThisDispatcherRuns_StillSigns_NeverUnsigned()
    {
        var path = UniquePath();
        // During a rolling upgrade an older dispatcher still writes the plain column after this one has started.
        var webhookId = await InsertPlainAsync(path);

        await RelayAsync(webhookId);
        await WaitUntil(() => Receiver.Received(path).Count > 0, Bound, "the delivery arrives", Ct);

        Assert.That(VerifyWith(Secret, Receiver.Received(path).First()), Is.EqualTo(WebhookVerification.Valid));
    }

    [Test]
    public async Task Delivery_IsNotSent_WhenTheSecretWasProtectedByAnotherKeyRing_AndTheApiStillAnswers()
    {
        var path = UniquePath();
        var otherRing = DataProtectionProvider.Create(
            new DirectoryInfo(Path.Combine(Path.GetTempPath(), "jobqueue-test-keys-other-" + Guid.NewGuid().ToString("N"))),
            o => o.SetApplicationName(SigningSecrets.ApplicationName));
        var now = PostgresTime.Truncate(DateTime.UtcNow);
        var webhook = new WebhookSubscription
        {
            Id = Guid.NewGuid(), Owner = "default", Url = Receiver.Url(path),
            ProtectedSecret = otherRing.CreateProtector(SigningSecrets.Purpose).Protect(Secret), CreatedAt = now, UpdatedAt = now,
        };
        await Store.WebhooksInsertAsync(webhook, Ct);

        var deliveryId = await RelayAsync(webhook.Id);
        DeliveryLog? log = null;
        await WaitUntil(async () => (log = (await Store.DeliveriesListAsync(webhook.Id, 10, 0, Ct)).Items.Single()).Status == DeliveryStatus.Failed,
            Bound, "the delivery is given up", Ct);
        var (getStatus, _) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{webhook.Id}");
        var (logStatus, _) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{webhook.Id}/deliveries");
        var (patchStatus, _) = await SendAsync(Tenant, HttpMethod.Patch, $"/api/v1/webhooks/{webhook.Id}", """{"description":"still editable"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(log!.Id, Is.EqualTo(deliveryId));
            Assert.That(log.AttemptLog, Has.Count.EqualTo(3), "retried on the usual schedule: a replica with the right key ring could take it");
            Assert.That(log.AttemptLog.Select(a => a.Error), Has.All.Contain("cannot be decrypted with this dispatcher's key ring (WEBHOOK_SECRET_KEYS_DIR)"));
            Assert.That(log.AttemptLog.Select(a => a.StatusCode), Has.All.Null);
            Assert.That(Receiver.Received(path), Is.Empty, "never sent unsigned");
            Assert.That(getStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(logStatus, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(patchStatus, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public void Startup_Fails_OutsideDevelopment_WithoutTheKeyDirectory()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SigningSecrets.KeysDirectory(null, isDevelopment: false));
        Assert.That(error!.Message, Does.StartWith("WEBHOOK_SECRET_KEYS_DIR is required outside Development"));
    }

    [Test]
    public async Task Dispatcher_DoesNotStart_InProductionWithoutTheKeyDirectory()
    {
        await using var production = new DispatcherFactory(ConnectionString, new Dictionary<string, string>
        {
            ["environment"] = "Production",
            ["WEBHOOK_SECRET_KEYS_DIR"] = "",
            ["JWT_SECRET"] = "0123456789abcdef0123456789abcdef-production-test",
        });

        var error = Assert.Catch(() => production.CreateClient());

        Assert.That(error!.ToString(), Does.Contain("WEBHOOK_SECRET_KEYS_DIR is required outside Development"));
    }

    [Test]
    public void KeysDirectory_InDevelopment_IsAStableFolder_NotTemp()
    {
        var first = SigningSecrets.KeysDirectory(null, isDevelopment: true);

        Assert.That(first, Is.EqualTo(SigningSecrets.KeysDirectory("", isDevelopment: true)));
        Assert.That(first, Does.Not.StartWith(Path.GetTempPath()));
    }

    private async Task<(string? Plain, string? Protected)> StoredAsync(Guid webhookId)
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        return await conn.QuerySingleAsync<(string?, string?)>("SELECT secret, protected_secret FROM webhooks WHERE id = @webhookId", new { webhookId });
    }

    private Task<Guid> RelayAsync(Guid webhookId) =>
        RelayAsync(webhookId, new LifecycleEvent(EventNames.JobCompleted, "default", Guid.NewGuid(), "noop", "default", 5, "completed", 1, 1, null,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    private static WebhookVerification VerifyWith(string secret, ReceivedWebhook got) =>
        WebhookVerifier.Verify(secret, got.Body, got.Header(WebhookSignature.SignatureHeader), got.Header(WebhookSignature.TimestampHeader),
            got.Header(WebhookSignature.TimestampedSignatureHeader), DateTimeOffset.UtcNow, WebhookVerifier.DefaultTolerance);

    /// <summary>A subscription as an older dispatcher wrote it: the plain column only.</summary>
    private async Task<Guid> InsertPlainAsync(string path)
    {
        var webhookId = Guid.NewGuid();
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            "INSERT INTO webhooks (id, owner, url, secret, created_at, updated_at) VALUES (@webhookId, 'default', @url, @secret, now(), now())",
            new { webhookId, url = Receiver.Url(path), secret = Secret });
        return webhookId;
    }
}
