using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;
using Stripe;

namespace Billing.Service.Application;

/// <summary>The answer of a billing call: a Stripe URL to send the browser to, or the status and message of an error.</summary>
public sealed record BillingResult(string? Url, int Status, string? Error)
{
    public static BillingResult Redirect(string url) => new(url, StatusCodes.Status200OK, null);

    public static BillingResult Fail(int status, string message) => new(null, status, message);
}

/// <summary>How a Stripe event was handled.</summary>
public enum StripeEventHandling
{
    /// <summary>Recorded now, and its effect (if it had one) written in the same transaction.</summary>
    Applied,
    /// <summary>Recorded before: nothing was done again.</summary>
    Duplicate,
    /// <summary>Recorded now; a type or an object this service does not act on.</summary>
    Ignored,
    /// <summary>Recorded now; older than the event already applied to its subscription (Stripe's order): changed nothing.</summary>
    Stale,
}

/// <summary>
/// Stripe Checkout and the customer portal (paid tiers), and the webhook events that change a tier. The plan is the
/// account's: every key of the user gets the tier. Each event is applied once (its id is recorded in the same
/// transaction as its effect) and only if it is newer than the last one applied to its subscription (Stripe does not
/// deliver in order), and every tier change is announced through <see cref="CredentialCache"/>, so the
/// tier that metering reads from the cached caller changes in every service at once.
/// </summary>
internal sealed partial class StripeBilling(
    BillingStore store, AccountStore accounts, CredentialCache credentials, StripeSettings settings, TimeProvider time, ILogger<StripeBilling> logger)
{
    // Stripe subscription statuses that end the paid plan; past_due keeps it while Stripe retries the payment,
    // incomplete (first payment pending) changes nothing until it resolves.
    private static readonly HashSet<string> EndedStatuses = ["canceled", "unpaid", "incomplete_expired", "paused"];
    private static readonly HashSet<string> PayingStatuses = ["active", "trialing", "past_due"];

    /// <summary>The 503 message when checkout or the portal cannot reach Stripe for lack of configuration (null: configured).</summary>
    public string? CheckoutUnavailable(Tier? tier = null)
    {
        if (settings.Client is null)
        {
            return "billing is not configured: set STRIPE_SECRET_KEY (and STRIPE_PRICE_PRO, STRIPE_PRICE_BUSINESS) to enable checkout and the customer portal";
        }

        return tier is { } t && settings.PriceOf(t) is null
            ? $"billing is not configured for the {t.ToWire()} tier: set STRIPE_PRICE_{t.ToWire().ToUpperInvariant()}"
            : null;
    }

    /// <summary>A Stripe Checkout Session (subscription mode) for <paramref name="tier"/>; the customer is made once per user.</summary>
    public async Task<BillingResult> CheckoutAsync(Guid userId, Tier tier, Guid? keyId, CancellationToken ct)
    {
        if (CheckoutUnavailable(tier) is { } unavailable)
        {
            return BillingResult.Fail(StatusCodes.Status503ServiceUnavailable, unavailable);
        }

        if (keyId is { } k && (await accounts.KeysListAsync(userId, ct)).All(key => key.Id != k))
        {
            return BillingResult.Fail(StatusCodes.Status404NotFound, $"key {k} not found");
        }

        try
        {
            var customer = await EnsureCustomerAsync(userId, ct);
            if (customer is null)
            {
                return BillingResult.Fail(StatusCodes.Status401Unauthorized, "the account no longer exists");
            }

            var metadata = new Dictionary<string, string> { ["user_id"] = userId.ToString("D"), ["tier"] = tier.ToWire() };
            if (keyId is { } key)
            {
                metadata["key_id"] = key.ToString("D");
            }

            var session = await new Stripe.Checkout.SessionService(settings.Client!).CreateAsync(new Stripe.Checkout.SessionCreateOptions
            {
                Mode = "subscription",
                Customer = customer,
                ClientReferenceId = userId.ToString("D"),
                LineItems = [new Stripe.Checkout.SessionLineItemOptions { Price = settings.PriceOf(tier), Quantity = 1 }],
                SuccessUrl = $"{settings.BaseUrl}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
                CancelUrl = $"{settings.BaseUrl}/billing?checkout=cancelled",
                Metadata = metadata,
                SubscriptionData = new Stripe.Checkout.SessionSubscriptionDataOptions { Metadata = new Dictionary<string, string>(metadata) },
            }, cancellationToken: ct);
            LogCheckout(logger, userId, tier.ToWire(), session.Id);
            return BillingResult.Redirect(session.Url);
        }
        catch (StripeException e)
        {
            return StripeFailed(e);
        }
    }

    /// <summary>A Stripe billing portal session where the user manages or cancels the subscription.</summary>
    public async Task<BillingResult> CustomerPortalAsync(Guid userId, CancellationToken ct)
    {
        if (CheckoutUnavailable() is { } unavailable)
        {
            return BillingResult.Fail(StatusCodes.Status503ServiceUnavailable, unavailable);
        }

        var user = await store.CustomersGetAsync(userId, ct);
        if (user is null)
        {
            return BillingResult.Fail(StatusCodes.Status401Unauthorized, "the account no longer exists");
        }

        if (user.StripeCustomerId is null)
        {
            return BillingResult.Fail(StatusCodes.Status400BadRequest,
                "this account has no billing history yet: subscribe first with POST /portal/checkout");
        }

        try
        {
            var session = await new Stripe.BillingPortal.SessionService(settings.Client!).CreateAsync(new Stripe.BillingPortal.SessionCreateOptions
            {
                Customer = user.StripeCustomerId,
                ReturnUrl = $"{settings.BaseUrl}/billing",
            }, cancellationToken: ct);
            return BillingResult.Redirect(session.Url);
        }
        catch (StripeException e)
        {
            return StripeFailed(e);
        }
    }

    /// <summary>Applies a verified event once; the tier changes it makes are visible to every service when this returns.</summary>
    public async Task<StripeEventHandling> ApplyEventAsync(Event stripeEvent, CancellationToken ct)
    {
        var effect = EffectOf(stripeEvent);
        var result = await store.StripeEventApplyAsync(stripeEvent.Id, stripeEvent.Type, stripeEvent.Created, time.GetUtcNow().UtcDateTime, effect, ct);
        if (result.AlreadyApplied)
        {
            LogDuplicate(logger, stripeEvent.Id, stripeEvent.Type);
            return StripeEventHandling.Duplicate;
        }

        if (result.Stale)
        {
            LogStale(logger, stripeEvent.Id, stripeEvent.Type, stripeEvent.Created);
            return StripeEventHandling.Stale;
        }

        foreach (var user in result.ChangedUsers)
        {
            await credentials.InvalidateUserAsync(user);
        }

        LogApplied(logger, stripeEvent.Id, stripeEvent.Type, result.ChangedUsers.Count);
        return effect is null ? StripeEventHandling.Ignored : StripeEventHandling.Applied;
    }

    private StripeEventEffect? EffectOf(Event e)
    {
        switch (e.Type)
        {
            case EventTypes.CheckoutSessionCompleted when e.Data.Object is Stripe.Checkout.Session s:
                return CheckoutEffect(e, s);
            case EventTypes.CustomerSubscriptionUpdated or EventTypes.CustomerSubscriptionDeleted when e.Data.Object is Subscription sub:
                return SubscriptionEffect(e, sub);
            default:
                return null;
        }
    }

    private CheckoutPlanEffect? CheckoutEffect(Event e, Stripe.Checkout.Session s)
    {
        // Async payment methods complete the session unpaid: the subscription's update to active upgrades later.
        if (s.Mode != "subscription" || s.PaymentStatus is not ("paid" or "no_payment_required"))
        {
            return null;
        }

        var userText = s.Metadata?.GetValueOrDefault("user_id") ?? s.ClientReferenceId;
        if (!Guid.TryParseExact(userText, "D", out var userId)
            || !Tiers.TryParse(s.Metadata?.GetValueOrDefault("tier"), out var tier) || tier == Tier.Free)
        {
            LogUnusable(logger, e.Id, e.Type, "no user_id and paid tier in its metadata");
            return null;
        }

        return new CheckoutPlanEffect(userId, s.CustomerId, s.SubscriptionId, tier.ToWire());
    }

    private SubscriptionPlanEffect? SubscriptionEffect(Event e, Subscription sub)
    {
        if (e.Type == EventTypes.CustomerSubscriptionDeleted)
        {
            return new SubscriptionPlanEffect(sub.Id, sub.CustomerId, Tier.Free.ToWire(), Ends: true);
        }

        if (EndedStatuses.Contains(sub.Status))
        {
            return new SubscriptionPlanEffect(sub.Id, sub.CustomerId, Tier.Free.ToWire());
        }

        if (!PayingStatuses.Contains(sub.Status))
        {
            return null;
        }

        var price = sub.Items?.Data?.FirstOrDefault()?.Price?.Id;
        if (settings.TierOfPrice(price) is not { } tier)
        {
            LogUnusable(logger, e.Id, e.Type, $"price '{price}' is neither STRIPE_PRICE_PRO nor STRIPE_PRICE_BUSINESS");
            return null;
        }

        return new SubscriptionPlanEffect(sub.Id, sub.CustomerId, tier.ToWire());
    }

    /// <summary>The user's Stripe customer, made on first use; null when the user no longer exists.</summary>
    private async Task<string?> EnsureCustomerAsync(Guid userId, CancellationToken ct)
    {
        var user = await store.CustomersGetAsync(userId, ct);
        if (user is null || user.StripeCustomerId is not null)
        {
            return user?.StripeCustomerId;
        }

        // The idempotency key makes two concurrent first checkouts get one customer from Stripe (for 24 h).
        var customer = await new CustomerService(settings.Client!).CreateAsync(new CustomerCreateOptions
        {
            Email = user.Email,
            Metadata = new Dictionary<string, string> { ["user_id"] = userId.ToString("D") },
        }, new RequestOptions { IdempotencyKey = $"jobqueue-customer-{userId:D}" }, ct);
        return await store.CustomersSetOnceAsync(userId, customer.Id, ct);
    }

    private BillingResult StripeFailed(StripeException e)
    {
        LogStripeFailed(logger, (int)e.HttpStatusCode, e.Message);
        return BillingResult.Fail(StatusCodes.Status502BadGateway, $"Stripe could not handle the request: {e.Message}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout session {SessionId} for user {UserId}, tier {Tier}")]
    private static partial void LogCheckout(ILogger logger, Guid userId, string tier, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}) applied: {Users} account(s) changed")]
    private static partial void LogApplied(ILogger logger, string eventId, string type, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}) was applied before: ignored")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}) created {Created:o} is older than the one applied to its subscription: ignored")]
    private static partial void LogStale(ILogger logger, string eventId, string type, DateTime created);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({Type}) changes nothing: {Reason}")]
    private static partial void LogUnusable(ILogger logger, string eventId, string type, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe answered {Status}: {Message}")]
    private static partial void LogStripeFailed(ILogger logger, int status, string message);
}
