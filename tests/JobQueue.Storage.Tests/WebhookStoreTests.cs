using Dapper;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>The webhook store against a real Postgres: tenant scoping, the claim lease, and recording outcomes.</summary>
public sealed class WebhookStoreTests : PostgresFixture
{
    private WebhookStore Webhooks => new(DataSource);

    private async Task<WebhookSubscription> NewWebhookAsync(string owner = "t1")
    {
        var now = JobFactory.Now();
        var w = new WebhookSubscription { Id = Guid.NewGuid(), Owner = owner, Url = "https://example.com/" + owner, ProtectedSecret = "protected-by-the-dispatcher", Events = ["job.completed"], CreatedAt = now, UpdatedAt = now };
        await Webhooks.WebhooksInsertAsync(w, Ct);
        return w;
    }

    private async Task<Guid> NewDeliveryAsync(WebhookSubscription w, DateTime? due = null)
    {
        var id = Guid.NewGuid();
        var now = JobFactory.Now();
        Assert.That(await Webhooks.DeliveriesInsertAsync(
            new NewDelivery(id, w.Id, w.Owner, "1." + id.ToString("N"), "job.completed", Guid.NewGuid(), """{"event":"job.completed"}""", null, due ?? now.AddSeconds(-1), now), Ct), Is.True);
        return id;
    }

    // The fixture shares one database: a claim may take other tests' leftovers, so each test looks only at its own webhook.
    private async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTime now, TimeSpan lease, WebhookSubscription w) =>
        (await Webhooks.DeliveriesClaimAsync(new DeliveriesClaimParams(now, now + lease, 1000), Ct)).Where(d => d.WebhookId == w.Id).ToList();

    private async Task<string> StatusAsync(Guid deliveryId)
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<string>("SELECT status FROM webhook_deliveries WHERE id = @deliveryId", new { deliveryId }) ?? "";
    }

    private static DeliveriesRecordParams Outcome(ClaimedDelivery d, bool ok, DateTime now, DateTime? retryAt, int disableAfter = 20) =>
        new(d.Id, d.WebhookId, d.Attempt, now, 12, ok ? 200 : 500, ok ? null : "HTTP 500", ok, now, retryAt, disableAfter);

    [Test]
    public async Task Get_IsScopedToTheOwner_AndAdminSeesAll()
    {
        var w = await NewWebhookAsync("acme");

        Assert.That((await Webhooks.WebhooksGetAsync(w.Id, "acme", Ct))?.Events, Is.EqualTo(new[] { "job.completed" }));
        Assert.That(await Webhooks.WebhooksGetAsync(w.Id, "other", Ct), Is.Null);
        Assert.That(await Webhooks.WebhooksGetAsync(w.Id, null, Ct), Is.Not.Null);
        Assert.That(await Webhooks.WebhooksDeleteAsync(w.Id, "other", Ct), Is.False);
        Assert.That((await Webhooks.WebhooksListAsync("other", Ct)).Select(x => x.Id), Does.Not.Contain(w.Id));
    }

    [Test]
    public async Task Claim_TakesADueDeliveryOnce_UntilItsLeaseExpires()
    {
        var w = await NewWebhookAsync();
        var id = await NewDeliveryAsync(w);
        var now = JobFactory.Now();

        var first = await ClaimAsync(now, TimeSpan.FromSeconds(30), w);
        var second = await ClaimAsync(now, TimeSpan.FromSeconds(30), w);
        var afterLease = await ClaimAsync(now.AddSeconds(31), TimeSpan.FromSeconds(30), w);

        Assert.That(first.Select(d => (d.Id, d.Attempt, d.Url)), Is.EqualTo(new[] { (id, 1, w.Url) }));
        Assert.That(second, Is.Empty, "leased");
        Assert.That(afterLease.Select(d => (d.Id, d.Attempt)), Is.EqualTo(new[] { (id, 2) }), "a dispatcher died: another takes it, as the next attempt");
    }

    [Test]
    public async Task Record_FromALostLease_IsLoggedButDoesNotMoveTheDelivery()
    {
        var w = await NewWebhookAsync();
        var id = await NewDeliveryAsync(w);
        var now = JobFactory.Now();
        var stale = (await ClaimAsync(now, TimeSpan.FromSeconds(1), w)).Single();
        var current = (await ClaimAsync(now.AddSeconds(2), TimeSpan.FromSeconds(30), w)).Single();

        var late = await Webhooks.DeliveriesRecordAsync(Outcome(stale, ok: false, now, retryAt: now.AddSeconds(10)), Ct);
        var fresh = await Webhooks.DeliveriesRecordAsync(Outcome(current, ok: true, now, retryAt: null), Ct);

        Assert.That((late.Status, fresh.Status), Is.EqualTo(((string?)null, (string?)DeliveryStatus.Succeeded)));
        var (items, _) = await Webhooks.DeliveriesListAsync(w.Id, 10, 0, Ct);
        Assert.That(items.Single(d => d.Id == id).AttemptLog.Select(a => (a.Attempt, a.Succeeded)), Is.EqualTo(new[] { (1, false), (2, true) }));
    }

    [Test]
    public async Task Record_FailureWithRetry_GoesBackToPendingUntilRetryAt()
    {
        var w = await NewWebhookAsync();
        var id = await NewDeliveryAsync(w);
        var now = JobFactory.Now();
        var d = (await ClaimAsync(now, TimeSpan.FromSeconds(30), w)).Single();

        var result = await Webhooks.DeliveriesRecordAsync(Outcome(d, ok: false, now, retryAt: now.AddMinutes(5)), Ct);

        Assert.That(result.Status, Is.EqualTo(DeliveryStatus.Pending));
        Assert.That(await ClaimAsync(now.AddMinutes(4), TimeSpan.FromSeconds(30), w), Is.Empty);
        Assert.That((await ClaimAsync(now.AddMinutes(5), TimeSpan.FromSeconds(30), w)).Single().Attempt, Is.EqualTo(2));
        Assert.That(await StatusAsync(id), Is.EqualTo(DeliveryStatus.Delivering));
    }

    [Test]
    public async Task GivingUp_DisablesTheWebhook_AfterTheRun_AndASuccessResetsTheRun()
    {
        var w = await NewWebhookAsync();
        var now = JobFactory.Now();

        async Task<DeliveryRecordResult> DeliverAsync(bool ok)
        {
            await NewDeliveryAsync(w);
            var d = (await ClaimAsync(now, TimeSpan.FromSeconds(30), w)).Single();
            return await Webhooks.DeliveriesRecordAsync(Outcome(d, ok, now, retryAt: null, disableAfter: 2), Ct);
        }

        Assert.That((await DeliverAsync(ok: false)).Disabled, Is.False);
        Assert.That((await DeliverAsync(ok: true)).Status, Is.EqualTo(DeliveryStatus.Succeeded));
        Assert.That((await DeliverAsync(ok: false)).Disabled, Is.False, "the success reset the run");
        var last = await DeliverAsync(ok: false);

        var after = await Webhooks.WebhooksGetAsync(w.Id, null, Ct);
        Assert.That((last.Status, last.Disabled), Is.EqualTo(((string?)DeliveryStatus.Failed, true)));
        Assert.That((after!.Enabled, after.ConsecutiveFailures), Is.EqualTo((false, 2)));
        Assert.That(after.DisabledReason, Does.Contain("2 deliveries in a row").And.Contain("HTTP 500"));
        await NewDeliveryAsync(w);
        Assert.That(await ClaimAsync(now, TimeSpan.FromSeconds(30), w), Is.Empty, "a disabled webhook's deliveries wait");
    }

    [Test]
    public async Task DeliveriesInsert_IsIdempotentPerEvent()
    {
        var w = await NewWebhookAsync();
        var now = JobFactory.Now();
        var d = new NewDelivery(Guid.NewGuid(), w.Id, w.Owner, "7.1", "job.completed", null, "{}", null, now, now);

        Assert.That(await Webhooks.DeliveriesInsertAsync(d, Ct), Is.True);
        Assert.That(await Webhooks.DeliveriesInsertAsync(d with { Id = Guid.NewGuid() }, Ct), Is.False);
    }

    [Test]
    public async Task Purge_DeletesFinishedDeliveriesOlderThanTheCutoff_WithTheirAttempts_AndKeepsTheRest()
    {
        var w = await NewWebhookAsync();
        var now = JobFactory.Now();
        var oldDone = await NewDeliveryAsync(w);
        var d = (await ClaimAsync(now, TimeSpan.FromSeconds(30), w)).Single();
        await Webhooks.DeliveriesRecordAsync(Outcome(d, ok: true, now.AddDays(-31), retryAt: null), Ct);
        var recentDone = await NewDeliveryAsync(w);
        d = (await ClaimAsync(now, TimeSpan.FromSeconds(30), w)).Single();
        await Webhooks.DeliveriesRecordAsync(Outcome(d, ok: true, now, retryAt: null), Ct);
        var waiting = await NewDeliveryAsync(w, due: now.AddDays(1));

        var purged = await Webhooks.DeliveriesPurgeAsync(now.AddDays(-30), 1000, Ct);

        var (items, _) = await Webhooks.DeliveriesListAsync(w.Id, 100, 0, Ct);
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        var orphans = await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM webhook_delivery_attempts WHERE delivery_id = @oldDone", new { oldDone });
        Assert.That(purged, Is.GreaterThanOrEqualTo(1));
        Assert.That(items.Select(i => i.Id), Is.EquivalentTo(new[] { recentDone, waiting }));
        Assert.That(orphans, Is.Zero, "its attempts went with it");
    }
}
