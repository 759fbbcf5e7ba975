using System.Net;
using Dapper;
using JobQueue.Core.Accounts;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary><c>POST /webhooks/stripe</c>: signed like Stripe signs, applied once, visible to every service at once.</summary>
public sealed class StripeWebhookTests : StripeFixture
{
    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}";

    /// <summary>A registered account upgraded to <paramref name="tier"/> by a checkout (asserted).</summary>
    private async Task<(Account Account, string Customer, string Subscription)> SubscribedAsync(string tier = "pro")
    {
        var account = await RegisterAsync();
        var (customer, subscription) = (NewId("cus"), NewId("sub"));
        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, tier, customer, subscription));
        Assert.That((await UsageTierAsync(account.Key)).Tier, Is.EqualTo(tier));
        return (account, customer, subscription);
    }

    [Test]
    public async Task CheckoutCompleted_UpgradesEveryKeyOfTheUser_AndJobsApiSeesTheNewTierAtOnce()
    {
        var account = await RegisterAsync();
        var (_, created) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Post, "/api/v1/keys", """{"name":"second"}""");
        var secondKey = created["data"]!["key"]!.GetValue<string>();
        Assert.That(await JobsApiCallerTierAsync(account.Key), Is.EqualTo(Tier.Free), "Jobs.Api now holds the free caller in its 30 s cache");
        var (customer, subscription) = (NewId("cus"), NewId("sub"));

        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription));

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("pro", 100_000L)));
        Assert.That(await UsageTierAsync(secondKey), Is.EqualTo(("pro", 100_000L)));
        var started = DateTime.UtcNow;
        await JobQueue.Testing.Polling.WaitUntil(async () => await JobsApiCallerTierAsync(account.Key) == Tier.Pro,
            TimeSpan.FromSeconds(3), "Jobs.Api's cached caller has the pro tier", Ct);
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(3)));
        await using var conn = await Db.OpenConnectionAsync(Ct);
        var stored = await conn.QueryAsync<(string?, string)>(
            "SELECT k.stripe_subscription_id, u.stripe_customer_id FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.id = @id", new { id = account.UserId });
        Assert.That(stored, Is.EqualTo(new[] { (subscription, customer), (subscription, customer) }));
    }

    [Test]
    public async Task TheSameEventDeliveredAgain_IsNotAppliedAgain_EvenAfterALaterChange()
    {
        var (account, customer, subscription) = await SubscribedAsync("pro");
        var downgradeId = NewEventId();
        var downgrade = SubscriptionEvent(downgradeId, "customer.subscription.updated", subscription, customer, "unpaid", PricePro);
        await DeliverSignedAsync(downgrade);
        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)));
        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, "active", PriceBusiness));
        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("business", Tiers.Unlimited)));

        // Stripe redelivers the old downgrade (same event id, freshly signed).
        await DeliverSignedAsync(downgrade, expectedStatus: "duplicate");

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("business", Tiers.Unlimited)), "the replayed downgrade changed nothing");
        Assert.That(await RecordedEventsAsync(downgradeId), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ConcurrentDeliveriesOfOneEvent_ApplyItOnce()
    {
        var account = await RegisterAsync();
        var payload = CheckoutCompleted(NewEventId(), account.UserId, "pro", NewId("cus"), NewId("sub"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => DeliverAsync(payload, Sign(payload, DateTimeOffset.UtcNow))));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(answers.Select(a => a.Body["data"]!["status"]!.GetValue<string>()).Order(),
            Is.EqualTo(new[] { "applied", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate" }));
    }

    [Test]
    public async Task SubscriptionDeleted_DowngradesTheAccountToFree_InJobsApiToo()
    {
        var (account, customer, subscription) = await SubscribedAsync("business");
        Assert.That(await JobsApiCallerTierAsync(account.Key), Is.EqualTo(Tier.Business));

        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.deleted", subscription, customer, "canceled", PriceBusiness));

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)));
        await JobQueue.Testing.Polling.WaitUntil(async () => await JobsApiCallerTierAsync(account.Key) == Tier.Free,
            TimeSpan.FromSeconds(3), "Jobs.Api's cached caller is back to free", Ct);
    }

    [Test]
    public async Task SubscriptionUpdated_ToAnotherPrice_ChangesTheTier()
    {
        var (account, customer, subscription) = await SubscribedAsync("pro");

        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, "active", PriceBusiness));

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("business", Tiers.Unlimited)));
    }

    [Test]
    public async Task TheEndOfASupersededSubscription_DoesNotDowngradeTheAccountPayingThroughANewerOne()
    {
        var (account, customer, oldSubscription) = await SubscribedAsync("pro");
        var newSubscription = NewId("sub");
        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "business", customer, newSubscription));

        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.deleted", oldSubscription, customer, "canceled", PricePro));

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("business", Tiers.Unlimited)));
    }

    [Test]
    public async Task AnUnpaidCheckout_DoesNotUpgrade_UntilItsSubscriptionBecomesActive()
    {
        var account = await RegisterAsync();
        var (started, _) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");
        Assert.That(started, Is.EqualTo(HttpStatusCode.OK));
        await using var conn = await Db.OpenConnectionAsync(Ct);
        var customer = await conn.QuerySingleAsync<string>("SELECT stripe_customer_id FROM users WHERE id = @id", new { id = account.UserId });
        var subscription = NewId("sub");

        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription, paymentStatus: "unpaid"), "ignored");
        Assert.That((await UsageTierAsync(account.Key)).Tier, Is.EqualTo("free"));

        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, "active", PricePro));
        Assert.That((await UsageTierAsync(account.Key)).Tier, Is.EqualTo("pro"), "found through the customer stored at checkout");
    }

    [Test]
    public async Task ALateUpdate_ArrivingAfterTheDeletion_DoesNotUpgradeTheAccountAgain()
    {
        var account = await RegisterAsync();
        var (customer, subscription) = (NewId("cus"), NewId("sub"));
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var late = SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, "active", PriceBusiness, created: t0.AddSeconds(10));
        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription, created: t0));
        await DeliverSignedAsync(SubscriptionEvent(NewEventId(), "customer.subscription.deleted", subscription, customer, "canceled", PriceBusiness, created: t0.AddSeconds(20)));
        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)));

        await DeliverSignedAsync(late, expectedStatus: "stale");
        await DeliverSignedAsync(late, expectedStatus: "duplicate");
        await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription, created: t0.AddSeconds(5)), expectedStatus: "stale");

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)), "the deleted subscription stays deleted");
        Assert.That(await JobsApiCallerTierAsync(account.Key), Is.EqualTo(Tier.Free));
    }

    [Test]
    public async Task EventsDeliveredInAnyOrder_EndInTheStateOfTheNewest()
    {
        var account = await RegisterAsync();
        var (customer, subscription) = (NewId("cus"), NewId("sub"));
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        string Update(int second, string status, string price) =>
            SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, status, price, created: t0.AddSeconds(second));
        var checkout = CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription, created: t0);
        var (business, unpaid, backToPro) = (Update(10, "active", PriceBusiness), Update(20, "unpaid", PriceBusiness), Update(30, "active", PricePro));

        // Stripe's order: checkout, business, unpaid, pro. Delivered: pro first, then the older three, then pro again.
        await DeliverSignedAsync(checkout);
        await DeliverSignedAsync(backToPro);
        await DeliverSignedAsync(unpaid, expectedStatus: "stale");
        await DeliverSignedAsync(business, expectedStatus: "stale");
        await DeliverSignedAsync(backToPro, expectedStatus: "duplicate");

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("pro", 100_000L)));
    }

    [Test]
    public async Task OfTwoEventsInTheSameSecond_TheDeletionWins_InEitherOrder()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        foreach (var deletionFirst in new[] { true, false })
        {
            var account = await RegisterAsync();
            var (customer, subscription) = (NewId("cus"), NewId("sub"));
            await DeliverSignedAsync(CheckoutCompleted(NewEventId(), account.UserId, "pro", customer, subscription, created: at.AddSeconds(-10)));
            var update = SubscriptionEvent(NewEventId(), "customer.subscription.updated", subscription, customer, "active", PriceBusiness, created: at);
            var deletion = SubscriptionEvent(NewEventId(), "customer.subscription.deleted", subscription, customer, "canceled", PriceBusiness, created: at);

            if (deletionFirst)
            {
                await DeliverSignedAsync(deletion);
                await DeliverSignedAsync(update, expectedStatus: "stale");
            }
            else
            {
                await DeliverSignedAsync(update);
                await DeliverSignedAsync(deletion);
            }

            Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)), $"deletion first: {deletionFirst}");
        }
    }

    [Test]
    public async Task AnUnknownEventType_Answers200_AndIsRecordedButIgnored()
    {
        var id = NewEventId();
        var payload = $$$"""{"id":"{{{id}}}","object":"event","api_version":"2024-06-20","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice"}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"invoice.paid"}""";

        await DeliverSignedAsync(payload, "ignored");

        Assert.That(await RecordedEventsAsync(id), Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task ABadSignature_Answers400_AndChangesNothing()
    {
        var account = await RegisterAsync();
        var id = NewEventId();
        var payload = CheckoutCompleted(id, account.UserId, "business", NewId("cus"), NewId("sub"));
        var now = DateTimeOffset.UtcNow;

        var attempts = new (string What, string Payload, string? Signature)[]
        {
            ("no header", payload, null),
            ("another secret", payload, Sign(payload, now, "whsec_someone_else")),
            ("a changed body", payload.Replace("business", "pro", StringComparison.Ordinal), Sign(payload, now)),
            ("garbage", payload, "not a signature"),
        };
        foreach (var (what, body, signature) in attempts)
        {
            var (status, answer) = await DeliverAsync(body, signature);
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), what);
            Assert.That(Envelope.Error(answer), Is.Not.Empty, what);
        }

        Assert.That(await UsageTierAsync(account.Key), Is.EqualTo(("free", 1_000L)));
        Assert.That(await RecordedEventsAsync(id), Is.Empty, "a refused event is not recorded, so its genuine delivery still applies");
        await DeliverSignedAsync(payload);
        Assert.That((await UsageTierAsync(account.Key)).Tier, Is.EqualTo("business"));
    }

    [TestCase("[]", "invalid Stripe event JSON: expected an object")]
    [TestCase("\"x\"", "invalid Stripe event JSON: expected an object")]
    [TestCase("1", "invalid Stripe event JSON: expected an object")]
    [TestCase("null", "invalid Stripe event JSON: expected an object")]
    [TestCase("{}", "not a Stripe event: 'id' and 'type' are required")]
    [TestCase("{\"id\":\"evt_x\",\"object\":\"event\"}", "not a Stripe event: 'id' and 'type' are required")]
    [TestCase("not json", "invalid Stripe event JSON")]
    public async Task ACorrectlySignedBodyThatIsNoEvent_Answers400(string payload, string message)
    {
        var (status, body) = await DeliverAsync(payload, Sign(payload, DateTimeOffset.UtcNow));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.StartWith(message));
    }

    [Test]
    public async Task ATimestampOlderThanTheTolerance_Answers400()
    {
        var account = await RegisterAsync();
        var payload = CheckoutCompleted(NewEventId(), account.UserId, "pro", NewId("cus"), NewId("sub"));

        var (status, body) = await DeliverAsync(payload, Sign(payload, DateTimeOffset.UtcNow.AddMinutes(-6)));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.StartWith("invalid Stripe webhook"));
        Assert.That((await UsageTierAsync(account.Key)).Tier, Is.EqualTo("free"));
    }
}

/// <summary>Without Stripe settings, billing answers 503 and the rest of the service works.</summary>
public sealed class BillingNotConfiguredTests : AccountsFixture
{
    [Test]
    public async Task Checkout_Answers503WithTheMissingSetting_WhileLoginStillWorks()
    {
        var account = await RegisterAsync();
        var client = Client(Billing, bearer: account.Token);

        var (checkout, body) = await SendAsync(client, HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");
        var (portal, portalBody) = await SendAsync(client, HttpMethod.Post, "/portal/customer-portal");
        var (login, _) = await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"{{account.Password}}"}""");

        Assert.That((checkout, portal, login), Is.EqualTo((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK)));
        Assert.That(Envelope.Error(body), Does.StartWith("billing is not configured: set STRIPE_SECRET_KEY"));
        Assert.That(Envelope.Error(portalBody), Is.EqualTo(Envelope.Error(body)));
    }

    [Test]
    public async Task Webhook_Answers503_WithoutAWebhookSecret()
    {
        var payload = """{"id":"evt_1","object":"event","type":"invoice.paid","data":{"object":{}}}""";
        using var client = Billing.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = Json(payload) };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixture.Sign(payload, DateTimeOffset.UtcNow));

        using var response = await client.SendAsync(request, Ct);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(Envelope.Error(await Envelope.ReadAsync(response)), Does.StartWith("billing webhooks are not configured: set STRIPE_WEBHOOK_SECRET"));
    }
}
