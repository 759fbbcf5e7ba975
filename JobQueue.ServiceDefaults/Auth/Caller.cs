using System.Security.Cryptography;
using System.Text;
using JobQueue.Core.Configuration;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>
/// Who is calling: the tenant (<see cref="Owner"/>) every query is scoped to, or an administrator who sees all
/// tenants (<see cref="ScopeOwner"/> is then null).
/// </summary>
public sealed record Caller(string Owner, bool IsAdmin, Guid? ApiKeyId = null)
{
    /// <summary>The tenant of single-tenant installs (static <c>API_KEY</c>, or no key configured).</summary>
    public const string DefaultTenant = "default";

    /// <summary>The owner filter for reads: null for an administrator.</summary>
    public string? ScopeOwner => IsAdmin ? null : Owner;
}

/// <summary>Resolves the caller of a request, or says why it cannot.</summary>
public interface ICallerResolver
{
    ValueTask<(Caller? Caller, string? Error)> ResolveAsync(HttpContext context);
}

/// <summary>
/// Until accounts exist (issue 3): <c>ADMIN_KEY</c> sees everything, <c>API_KEY</c> is the single tenant
/// <c>default</c>; with neither configured the API is open and everything belongs to <c>default</c>.
/// The key comes in <c>X-API-Key</c> or <c>Authorization: Bearer</c>; comparison is constant-time.
/// </summary>
public sealed class StaticKeyCallerResolver(JobQueueSettings settings) : ICallerResolver
{
    public ValueTask<(Caller? Caller, string? Error)> ResolveAsync(HttpContext context)
    {
        var key = PresentedKey(context.Request);
        if (settings.AdminKey.Length > 0 && key is not null && FixedEquals(key, settings.AdminKey))
        {
            return ValueTask.FromResult<(Caller?, string?)>((new Caller("admin", IsAdmin: true), null));
        }

        if (settings.ApiKey.Length > 0 && key is not null && FixedEquals(key, settings.ApiKey))
        {
            return ValueTask.FromResult<(Caller?, string?)>((new Caller(Caller.DefaultTenant, IsAdmin: false), null));
        }

        if (settings.ApiKey.Length == 0 && settings.AdminKey.Length == 0)
        {
            return ValueTask.FromResult<(Caller?, string?)>((new Caller(Caller.DefaultTenant, IsAdmin: false), null));
        }

        return ValueTask.FromResult<(Caller?, string?)>((null, key is null ? "missing API key: send it in X-API-Key" : "invalid API key"));
    }

    /// <summary>The key from <c>X-API-Key</c>, else from <c>Authorization: Bearer</c>.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers["X-API-Key"].ToString() is { Length: > 0 } k)
        {
            return k;
        }

        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth["Bearer ".Length..].Trim() : null;
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
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
            context.HttpContext.Response.Headers.WWWAuthenticate = "ApiKey";
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
