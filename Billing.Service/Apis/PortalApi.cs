using Billing.Service.Application;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;

namespace Billing.Service.Apis;

/// <summary><c>/portal</c>: what the dashboard shows a logged-in user (login token only).</summary>
public static class PortalApi
{
    public static RouteGroupBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        var portal = app.MapGroup("/portal").WithTags("Portal")
            .AddEndpointFilter<RequireCallerFilter>().AddEndpointFilter(AccountFilters.RequireLoginToken);
        portal.MapGet("/usage", UsageAsync);
        portal.MapPost("/regenerate-key", RegenerateKeyAsync);
        return portal;
    }

    /// <summary>The month's usage of the account's primary key (its oldest enabled key).</summary>
    internal static Task<IResult> UsageAsync(HttpContext ctx, AccountService accounts) => KeysApi.UsageAsync(ctx, accounts);

    /// <summary>Disables the primary key and returns its replacement, shown this once.</summary>
    internal static async Task<IResult> RegenerateKeyAsync(HttpContext ctx, AccountService accounts)
    {
        var created = await accounts.RegenerateAsync(RequireCallerFilter.Get(ctx).UserId!.Value, ctx.RequestAborted);
        return created is null
            ? ApiResults.Error(ctx, StatusCodes.Status401Unauthorized, "the account no longer exists")
            : ApiResults.Ok(ctx, created);
    }
}
