using JobQueue.Core.Accounts;
using JobQueue.Storage.Postgres;

namespace Billing.Service.Apis;

/// <summary>A user as the API shows it (never the password hash).</summary>
public sealed record UserResponse(Guid Id, string Email, DateTime CreatedAt)
{
    public static UserResponse From(UserRecord u) => new(u.Id, u.Email, u.CreatedAt);
}

/// <summary>A key in a list: everything but the key itself, which is shown once, when made.</summary>
public sealed record ApiKeyResponse(Guid Id, string Name, string KeyPrefix, string Tier, long JobsLimit, bool Enabled, DateTime CreatedAt)
{
    public static ApiKeyResponse From(ApiKeyRecord k) =>
        new(k.Id, k.Name, k.KeyPrefix, k.Tier, Tiers.Parse(k.Tier).JobsLimit(), k.Enabled, k.CreatedAt);
}

/// <summary>A key just made, with the key itself: the only time it is shown.</summary>
public sealed record CreatedApiKeyResponse(
    Guid Id, string Name, string Key, string KeyPrefix, string Tier, long JobsLimit, DateTimeOffset ResetAt, DateTime CreatedAt, string Warning)
{
    public const string OnceWarning = "Store this key now: it is shown only once and cannot be recovered.";

    public static CreatedApiKeyResponse From(ApiKeyRecord k, string key, DateTimeOffset now) =>
        new(k.Id, k.Name, key, k.KeyPrefix, k.Tier, Tiers.Parse(k.Tier).JobsLimit(), UsagePeriod.ResetAt(now), k.CreatedAt, OnceWarning);
}

/// <summary>201 of <c>POST /auth/register</c>.</summary>
public sealed record RegisterResponse(string Token, DateTimeOffset ExpiresAt, UserResponse User, CreatedApiKeyResponse ApiKey);

/// <summary>200 of <c>POST /auth/login</c>.</summary>
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, UserResponse User, IReadOnlyList<ApiKeyResponse> Keys);

/// <summary>The month's usage of an account, and the key the request was made with (null: a login token of an account without keys).</summary>
public sealed record UsageResponse(
    string Tier, long JobsUsed, long JobsLimit, double UsagePercent, bool LimitReached, DateTimeOffset ResetAt, Guid? KeyId, string? KeyPrefix)
{
    public static UsageResponse From(UsageReport r, Guid? keyId, string? keyPrefix) =>
        new(r.Tier.ToWire(), r.JobsUsed, r.JobsLimit, r.UsagePercent, r.LimitReached, r.ResetAt, keyId, keyPrefix);
}

/// <summary>A message-only answer.</summary>
public sealed record MessageResponse(string Message);

/// <summary>200 of <c>DELETE /api/v1/keys/{id}</c>.</summary>
public sealed record DeletedResponse(Guid Id, string Status);

/// <summary>200 of <c>/portal/checkout</c> and <c>/portal/customer-portal</c>: the Stripe page to open.</summary>
public sealed record UrlResponse(string Url);

/// <summary>200 of <c>POST /webhooks/stripe</c>: <c>applied</c>, <c>duplicate</c> (applied before) or <c>ignored</c>.</summary>
public sealed record StripeWebhookResponse(string EventId, string Type, string Status);
