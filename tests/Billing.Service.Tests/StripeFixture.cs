extern alias JobsApi;

using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>The accounts fixture with Stripe configured against a <see cref="FakeStripe"/> on 127.0.0.1.</summary>
public abstract class StripeFixture : AccountsFixture
{
    public const string SecretKey = "sk_test_fake_0123456789";
    public const string WebhookSecret = "whsec_test_0123456789abcdef";
    public const string PricePro = "price_test_pro";
    public const string PriceBusiness = "price_test_business";
    public const string BaseUrl = "https://jobqueue.example.com";

    protected FakeStripe Stripe { get; private set; } = null!;

    protected override async Task ConfigureAsync(Dictionary<string, string?> settings)
    {
        Stripe = await FakeStripe.StartAsync();
        settings["STRIPE_SECRET_KEY"] = SecretKey;
        settings["STRIPE_WEBHOOK_SECRET"] = WebhookSecret;
        settings["STRIPE_PRICE_PRO"] = PricePro;
        settings["STRIPE_PRICE_BUSINESS"] = PriceBusiness;
        settings["BASE_URL"] = BaseUrl + "/";
        settings["STRIPE_API_BASE"] = Stripe.ApiBase;
    }

    [OneTimeTearDown]
    public async Task StopStripeAsync()
    {
        if (Stripe is not null)
        {
            await Stripe.DisposeAsync();
        }
    }

    /// <summary>The <c>Stripe-Signature</c> header exactly as Stripe computes it: HMAC-SHA256 of "t.payload".</summary>
    public static string Sign(string payload, DateTimeOffset at, string secret = WebhookSecret)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>Posts a raw event to <c>/webhooks/stripe</c> with the given signature header (none when null).</summary>
    protected async Task<(HttpStatusCode Status, JsonNode Body)> DeliverAsync(string payload, string? signature)
    {
        using var client = Billing.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, await Envelope.ReadAsync(response));
    }

    /// <summary>Delivers a correctly signed event and asserts 200 with the expected handling.</summary>
    protected async Task DeliverSignedAsync(string payload, string expectedStatus = "applied")
    {
        var (status, body) = await DeliverAsync(payload, Sign(payload, DateTimeOffset.UtcNow));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That(body["data"]!["status"]!.GetValue<string>(), Is.EqualTo(expectedStatus), body.ToJsonString());
    }

    protected static string NewEventId() => "evt_" + Guid.NewGuid().ToString("N")[..24];

    /// <summary>An event as Stripe sends it; <paramref name="created"/> (default: now) is Stripe's clock, in whole seconds.</summary>
    private static string Event(string id, string type, string obj, DateTimeOffset? created = null) =>
        $$"""
        {
          "id": "{{id}}",
          "object": "event",
          "api_version": "2024-06-20",
          "created": {{(created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds()}},
          "data": { "object": {{obj}} },
          "livemode": false,
          "pending_webhooks": 1,
          "request": { "id": null, "idempotency_key": null },
          "type": "{{type}}"
        }
        """;

    protected static string CheckoutCompleted(
        string eventId, Guid userId, string tier, string customer, string subscription, string paymentStatus = "paid", DateTimeOffset? created = null) =>
        Event(eventId, "checkout.session.completed", $$"""
            {
              "id": "cs_test_{{Guid.NewGuid():N}}",
              "object": "checkout.session",
              "client_reference_id": "{{userId}}",
              "customer": "{{customer}}",
              "metadata": { "user_id": "{{userId}}", "tier": "{{tier}}" },
              "mode": "subscription",
              "payment_status": "{{paymentStatus}}",
              "status": "complete",
              "subscription": "{{subscription}}",
              "livemode": false
            }
            """, created);

    protected static string SubscriptionEvent(
        string eventId, string type, string subscription, string customer, string status, string price, DateTimeOffset? created = null) =>
        Event(eventId, type, $$"""
            {
              "id": "{{subscription}}",
              "object": "subscription",
              "customer": "{{customer}}",
              "status": "{{status}}",
              "cancel_at_period_end": false,
              "items": {
                "object": "list",
                "data": [ {
                  "id": "si_{{Guid.NewGuid():N}}",
                  "object": "subscription_item",
                  "quantity": 1,
                  "price": { "id": "{{price}}", "object": "price", "active": true, "currency": "usd",
                             "recurring": { "interval": "month", "interval_count": 1 }, "type": "recurring" }
                } ],
                "has_more": false
              },
              "livemode": false
            }
            """, created);

    /// <summary>The account's tier and limit as <c>GET /api/v1/usage</c> reports them for the key.</summary>
    protected async Task<(string Tier, long Limit)> UsageTierAsync(string key)
    {
        var (status, body) = await SendAsync(Client(Billing, key: key), HttpMethod.Get, "/api/v1/usage");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return (body["data"]!["tier"]!.GetValue<string>(), body["data"]!["jobs_limit"]!.GetValue<long>());
    }

    /// <summary>The tier Jobs.Api's caller resolution (what metering reads, through its credential cache) gives the key.</summary>
    protected async Task<Tier?> JobsApiCallerTierAsync(string key)
    {
        var ctx = new DefaultHttpContext { RequestServices = Jobs.Services };
        ctx.Request.Headers["X-API-Key"] = key;
        var (caller, error) = await Jobs.Services.GetRequiredService<ICallerResolver>().ResolveAsync(ctx);
        Assert.That(caller, Is.Not.Null, error);
        return caller!.Tier;
    }

    protected async Task<List<string>> RecordedEventsAsync(params string[] ids)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        return (await conn.QueryAsync<string>("SELECT id FROM stripe_events WHERE id = ANY(@ids)", new { ids })).ToList();
    }
}
