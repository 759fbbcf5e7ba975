using Billing.Service.Application;
using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;

namespace Billing.Service.Apis;

/// <summary>
/// <c>/api/v1/keys</c> and <c>/api/v1/usage</c>, for an account key or a login token, always scoped to the caller's
/// own user. A new key takes the account's tier: the original let any caller mint a business key by naming the
/// tier, so a <c>tier</c> above the account's is refused with 403 (a client asking for more must learn it did not
/// get it); the account's own tier or a lower one is accepted, because the original's clients always send one.
/// </summary>
public static class KeysApi
{
    private static readonly string[] CreateFields = ["name", "tier"];

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/keys").WithTags("Keys")
            .AddEndpointFilter<RequireCallerFilter>().AddEndpointFilter(AccountFilters.RequireAccount);
        keys.MapGet("/", ListAsync);
        keys.MapPost("/", CreateAsync);
        keys.MapDelete("/{id}", DeleteAsync);

        app.MapGet("/api/v1/usage", UsageAsync).WithTags("Keys")
            .AddEndpointFilter<RequireCallerFilter>().AddEndpointFilter(AccountFilters.RequireAccount);
        return app;
    }

    internal static async Task<IResult> ListAsync(HttpContext ctx, AccountService accounts)
    {
        var caller = RequireCallerFilter.Get(ctx);
        var keys = await accounts.ListKeysAsync(caller.UserId!.Value, ctx.RequestAborted);
        return ApiResults.Ok(ctx, keys.Select(ApiKeyResponse.From).ToList());
    }

    internal static async Task<IResult> CreateAsync(HttpContext ctx, AccountService accounts)
    {
        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, CreateFields, [], bodyOptional: true);
        if (error is not null)
        {
            return error;
        }

        // The plan is the account's: a key always gets the account's tier. The original's clients send a tier anyway
        // (its Python SDK always "free"), so a tier the account has (or one below it) is accepted and ignored.
        var caller = RequireCallerFilter.Get(ctx);
        if (fields!.TryGetValue("tier", out var wanted))
        {
            if (!Tiers.TryParse(wanted, out var tier))
            {
                return ApiResults.Unprocessable(ctx, $"'tier' must be one of {string.Join(", ", Tiers.All)}, got '{wanted}'");
            }

            if (tier > (caller.Tier ?? Tier.Free))
            {
                return ApiResults.Error(ctx, StatusCodes.Status403Forbidden,
                    $"the account is on the {(caller.Tier ?? Tier.Free).ToWire()} tier: a key cannot have the {tier.ToWire()} tier; upgrade the account through billing");
            }
        }

        var name = fields.TryGetValue("name", out var n) ? n.Trim() : "default";
        if (AccountRules.KeyNameError(name) is { } invalid)
        {
            return ApiResults.Unprocessable(ctx, invalid);
        }

        var created = await accounts.CreateKeyAsync(caller.UserId!.Value, name, ctx.RequestAborted);
        return created is null
            ? ApiResults.Error(ctx, StatusCodes.Status401Unauthorized, "the account no longer exists")
            : ApiResults.Created(ctx, created);
    }

    internal static async Task<IResult> DeleteAsync(HttpContext ctx, string id, AccountService accounts)
    {
        if (!Guid.TryParseExact(id, "D", out var keyId))
        {
            return ApiResults.BadRequest(ctx, $"invalid key id '{id}': must be a UUID");
        }

        return await accounts.DeleteKeyAsync(RequireCallerFilter.Get(ctx).UserId!.Value, keyId, ctx.RequestAborted)
            ? ApiResults.Ok(ctx, new DeletedResponse(keyId, "deleted"))
            : ApiResults.NotFound(ctx, $"key {keyId} not found");
    }

    /// <summary>
    /// The month's usage of the caller's account: all its keys and login tokens share one count and one limit.
    /// <c>key_id</c> and <c>key_prefix</c> name the key the caller used (a login token: the account's primary key).
    /// </summary>
    internal static async Task<IResult> UsageAsync(HttpContext ctx, AccountService accounts)
    {
        var caller = RequireCallerFilter.Get(ctx);
        var usage = await accounts.UsageAsync(caller.UserId!.Value, caller.ApiKeyId, ctx.RequestAborted);
        return usage is null
            ? ApiResults.Error(ctx, StatusCodes.Status401Unauthorized, "the account no longer exists")
            : ApiResults.Ok(ctx, usage);
    }
}

/// <summary>Endpoint filters that narrow <see cref="RequireCallerFilter"/> to accounts.</summary>
internal static class AccountFilters
{
    /// <summary>An account key or a login token: the static API_KEY and ADMIN_KEY belong to no account (403).</summary>
    public static async ValueTask<object?> RequireAccount(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = RequireCallerFilter.Get(context.HttpContext);
        return caller.UserId is null
            ? ApiResults.Error(context.HttpContext, StatusCodes.Status403Forbidden,
                "this needs an account: use an account key (qly_…) or a login token from POST /auth/login")
            : await next(context);
    }

    /// <summary>A login token only (the portal acts on the account, not on one key).</summary>
    public static async ValueTask<object?> RequireLoginToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = RequireCallerFilter.Get(context.HttpContext);
        if (caller.Kind != CallerKind.Jwt)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiResults.Error(context.HttpContext, StatusCodes.Status401Unauthorized,
                "the portal needs a login token: send Authorization: Bearer <token from POST /auth/login>");
        }

        return await next(context);
    }
}
