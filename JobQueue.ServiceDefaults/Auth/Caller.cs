using JobQueue.Core.Accounts;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>How a caller proved who it is.</summary>
public enum CallerKind
{
    /// <summary>No credentials, accepted only in open single-tenant mode (Development, or AUTH_ALLOW_ANONYMOUS).</summary>
    Anonymous,
    /// <summary>The operator's <c>ADMIN_KEY</c>.</summary>
    Admin,
    /// <summary>The static <c>API_KEY</c> of single-tenant installs (tenant <c>default</c>).</summary>
    StaticKey,
    /// <summary>An account key (<c>qly_…</c>).</summary>
    AccountKey,
    /// <summary>A login token (JWT) of an account.</summary>
    Jwt,
}

/// <summary>
/// Who is calling: the tenant (<see cref="Owner"/>) every query is scoped to, or an administrator who sees all
/// tenants (<see cref="ScopeOwner"/> is then null). For an account, the tenant is the user id (lowercase "D"
/// uuid), so every key and every login token of one user see the same jobs and take from one monthly allowance;
/// <see cref="ApiKeyId"/> is the key used (for a login token, the account's primary key: its oldest enabled key),
/// recorded on the jobs it enqueues.
/// </summary>
public sealed record Caller(string Owner, bool IsAdmin, Guid? ApiKeyId = null)
{
    /// <summary>The tenant of single-tenant installs (static <c>API_KEY</c>, or no key configured).</summary>
    public const string DefaultTenant = "default";

    /// <summary>The owner filter for reads: null for an administrator.</summary>
    public string? ScopeOwner => IsAdmin ? null : Owner;

    /// <summary>How the caller authenticated.</summary>
    public CallerKind Kind { get; init; }

    /// <summary>The account's user (account keys and login tokens only).</summary>
    public Guid? UserId { get; init; }

    /// <summary>The account's tier (account callers only).</summary>
    public Tier? Tier { get; init; }

    /// <summary>Jobs per month the account may enqueue (<see cref="Tiers.Unlimited"/>: no limit); null when not metered.</summary>
    public long? JobsLimit => Tier?.JobsLimit();

    /// <summary>The caller of an account, with the key used (<paramref name="keyId"/>) and the account's tier to meter against.</summary>
    public static Caller ForAccount(Guid userId, Guid? keyId, Tier? tier, CallerKind kind) =>
        new(userId.ToString("D"), IsAdmin: false, keyId) { Kind = kind, UserId = userId, Tier = tier };
}

/// <summary>Resolves the caller of a request, or says why it cannot.</summary>
public interface ICallerResolver
{
    ValueTask<(Caller? Caller, string? Error)> ResolveAsync(HttpContext context);
}

/// <summary>Endpoint filter that authenticates and makes the <see cref="Caller"/> available to handlers.</summary>
public sealed class RequireCallerFilter(ICallerResolver resolver) : IEndpointFilter
{
    private const string ItemKey = "jq.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var (caller, error) = await resolver.ResolveAsync(context.HttpContext);
        if (caller is null)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
            return Http.ApiResults.Error(context.HttpContext, StatusCodes.Status401Unauthorized, error ?? "unauthorized");
        }

        context.HttpContext.Items[ItemKey] = caller;
        return await next(context);
    }

    /// <summary>The authenticated caller of this request (only inside endpoints behind the filter).</summary>
    public static Caller Get(HttpContext ctx) =>
        ctx.Items.TryGetValue(ItemKey, out var c) && c is Caller caller
            ? caller
            : throw new InvalidOperationException("endpoint is not behind RequireCallerFilter");
}
