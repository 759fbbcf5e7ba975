using JobQueue.Core.Accounts;
using Stripe;

namespace Billing.Service.Application;

/// <summary>
/// Stripe's configuration, from the environment: <c>STRIPE_SECRET_KEY</c> (checkout and the customer portal),
/// <c>STRIPE_WEBHOOK_SECRET</c> (webhooks), <c>STRIPE_PRICE_PRO</c> and <c>STRIPE_PRICE_BUSINESS</c> (the recurring
/// prices of the paid tiers), <c>BASE_URL</c> (the public address Stripe sends the browser back to) and
/// <c>STRIPE_API_BASE</c> (another Stripe API address, for a local fake in tests). Each part is optional: what is
/// missing makes only the routes that need it answer 503, and the rest of the service keeps working.
/// </summary>
public sealed class StripeSettings
{
    public const string DefaultBaseUrl = "http://localhost:8080";

    /// <summary>How old a webhook's signed timestamp may be (Stripe's own default), against replays.</summary>
    public static readonly TimeSpan WebhookTolerance = TimeSpan.FromMinutes(5);

    public StripeSettings(IConfiguration config)
    {
        SecretKey = Value(config, "STRIPE_SECRET_KEY");
        WebhookSecret = Value(config, "STRIPE_WEBHOOK_SECRET");
        PricePro = Value(config, "STRIPE_PRICE_PRO");
        PriceBusiness = Value(config, "STRIPE_PRICE_BUSINESS");
        BaseUrl = (Value(config, "BASE_URL") ?? DefaultBaseUrl).TrimEnd('/');
        ApiBase = Value(config, "STRIPE_API_BASE")?.TrimEnd('/');
        Client = SecretKey is null
            ? null
            : new StripeClient(new StripeClientOptions { ApiKey = SecretKey, ApiBase = ApiBase ?? StripeClient.DefaultApiBase });
    }

    public string? SecretKey { get; }

    public string? WebhookSecret { get; }

    public string? PricePro { get; }

    public string? PriceBusiness { get; }

    public string BaseUrl { get; }

    public string? ApiBase { get; }

    /// <summary>The client for Stripe's API; null without <c>STRIPE_SECRET_KEY</c>.</summary>
    public IStripeClient? Client { get; }

    /// <summary>The price configured for a paid tier (null when not configured, or for free).</summary>
    public string? PriceOf(Tier tier) => tier switch
    {
        Tier.Pro => PricePro,
        Tier.Business => PriceBusiness,
        _ => null,
    };

    /// <summary>The paid tier a configured price stands for; null for any other price.</summary>
    public Tier? TierOfPrice(string? priceId) =>
        priceId is null ? null
        : priceId == PricePro ? Tier.Pro
        : priceId == PriceBusiness ? Tier.Business
        : null;

    private static string? Value(IConfiguration config, string name) => config[name] is { Length: > 0 } v ? v.Trim() : null;
}
