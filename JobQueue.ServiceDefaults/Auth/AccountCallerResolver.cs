using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using JobQueue.Core.Accounts;
using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>
/// Authenticates every request of every service from its own credentials, in this order:
/// <list type="number">
/// <item><c>ADMIN_KEY</c> (sees every tenant);</item>
/// <item>an account key <c>qly_…</c> in <c>X-API-Key</c> or <c>Authorization: Bearer</c>, found by its SHA-256 digest;</item>
/// <item>a login token (JWT) in <c>Authorization: Bearer</c>, checked by ASP.NET's JwtBearer handler, whose <c>ver</c>
/// must still equal the user's token version (a password reset revokes older tokens);</item>
/// <item>the static <c>API_KEY</c> (tenant <c>default</c>);</item>
/// <item>otherwise 401.</item>
/// </list>
/// The credential is read from headers; an endpoint marked with <see cref="QueryCredentials"/> (the browser's
/// WebSocket, which cannot set headers) also accepts it as <c>?api_key=</c> or <c>?token=</c>.
/// No header naming a tenant or user is ever read: a service behind the gateway trusts nothing the gateway (or
/// anyone) could have added. With neither <c>API_KEY</c> nor <c>ADMIN_KEY</c> configured, a request without any
/// credentials is the tenant <c>default</c> only in Development or when <c>AUTH_ALLOW_ANONYMOUS=true</c>.
/// Lookups are cached for at most 30 s by <see cref="CredentialCache"/>, which drops a user's entries in every
/// process as soon as one of them changes.
/// </summary>
public sealed class AccountCallerResolver : ICallerResolver
{
    private readonly JobQueueSettings _settings;
    private readonly AccountStore _accounts;
    private readonly CredentialCache _cache;
    private readonly bool _openWithoutCredentials;

    public AccountCallerResolver(JobQueueSettings settings, AccountStore accounts, CredentialCache cache, IHostEnvironment environment, IConfiguration config)
    {
        _settings = settings;
        _accounts = accounts;
        _cache = cache;
        var allowAnonymous = config["AUTH_ALLOW_ANONYMOUS"] is { } v && (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase));
        _openWithoutCredentials = settings.ApiKey.Length == 0 && settings.AdminKey.Length == 0 && (environment.IsDevelopment() || allowAnonymous);
    }

    public async ValueTask<(Caller? Caller, string? Error)> ResolveAsync(HttpContext context)
    {
        var (presented, fromBearer) = Presented(context.Request);
        if (presented is null)
        {
            return _openWithoutCredentials
                ? (new Caller(Caller.DefaultTenant, IsAdmin: false) { Kind = CallerKind.Anonymous }, null)
                : (null, "missing API key: send X-API-Key: <key>, or Authorization: Bearer <key or login token>");
        }

        if (_settings.AdminKey.Length > 0 && FixedEquals(presented, _settings.AdminKey))
        {
            return (new Caller("admin", IsAdmin: true) { Kind = CallerKind.Admin }, null);
        }

        if (ApiKeys.LooksLikeKey(presented))
        {
            var hash = ApiKeys.Hash(presented);
            var key = await _cache.GetOrLoadAsync("k:" + hash, async () =>
            {
                var found = await _accounts.KeysFindEnabledByHashAsync(hash, context.RequestAborted);
                return (found, found?.UserId ?? Guid.Empty);
            });
            return key is null
                ? (null, "invalid API key")
                : (Caller.ForAccount(key.UserId, key.Id, Tiers.Parse(key.Tier), CallerKind.AccountKey), null);
        }

        if (fromBearer && LooksLikeJwt(presented))
        {
            return await ResolveJwtAsync(context);
        }

        if (_settings.ApiKey.Length > 0 && FixedEquals(presented, _settings.ApiKey))
        {
            return (new Caller(Caller.DefaultTenant, IsAdmin: false) { Kind = CallerKind.StaticKey }, null);
        }

        return (null, "invalid API key");
    }

    private async Task<(Caller?, string?)> ResolveJwtAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal is not { } principal)
        {
            return (null, "invalid or expired login token");
        }

        if (!Guid.TryParseExact(principal.FindFirst("sub")?.Value, "D", out var userId)
            || !int.TryParse(principal.FindFirst(JwtSettings.VersionClaim)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
        {
            return (null, "invalid login token: it lacks sub or ver");
        }

        var user = await _cache.GetOrLoadAsync("u:" + userId.ToString("D"), async () =>
        {
            var found = await _accounts.UsersGetAuthAsync(userId, context.RequestAborted);
            return (found, userId);
        });
        if (user is null || user.TokenVersion != version)
        {
            return (null, "login token revoked: log in again");
        }

        return (Caller.ForAccount(userId, user.PrimaryKeyId, Tiers.Parse(user.Tier), CallerKind.Jwt), null);
    }

    /// <summary>
    /// The credential from <c>X-API-Key</c>, else from <c>Authorization: Bearer</c> (and whether it came from there),
    /// else, on an endpoint marked <see cref="QueryCredentials"/> only, from <c>?api_key=</c> (as X-API-Key) or
    /// <c>?token=</c> (as a Bearer value).
    /// </summary>
    public static (string? Value, bool FromBearer) Presented(HttpRequest request)
    {
        if (request.Headers["X-API-Key"].ToString() is { Length: > 0 } k)
        {
            return (k.Trim(), false);
        }

        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && auth["Bearer ".Length..].Trim() is { Length: > 0 } b)
        {
            return (b, true);
        }

        if (QueryCredentials.AllowedFor(request.HttpContext))
        {
            if (request.Query[QueryCredentials.ApiKeyParameter].ToString() is { Length: > 0 } qk)
            {
                return (qk.Trim(), false);
            }

            if (request.Query[QueryCredentials.TokenParameter].ToString() is { Length: > 0 } qt)
            {
                return (qt.Trim(), true);
            }
        }

        return (null, false);
    }

    private static bool LooksLikeJwt(string value) => value.Count(c => c == '.') == 2;

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
