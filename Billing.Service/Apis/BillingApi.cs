using Billing.Service.Application;
using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;

namespace Billing.Service.Apis;

/// <summary>
/// <c>/portal/checkout</c> and <c>/portal/customer-portal</c>: Stripe pages for an account (a login token or one of
/// its keys). Both answer <c>{url}</c> for the browser to open; 503 when Stripe is not configured.
/// </summary>
public static class BillingApi
{
    private static readonly string[] CheckoutFields = ["tier", "key_id"];
    private static readonly string[] CheckoutRequired = ["tier"];

    public static RouteGroupBuilder MapBillingPortalApi(this IEndpointRouteBuilder app)
    {
        var billing = app.MapGroup("/portal").WithTags("Billing")
            .AddEndpointFilter<RequireCallerFilter>().AddEndpointFilter(AccountFilters.RequireAccount);
        billing.MapPost("/checkout", CheckoutAsync);
        billing.MapPost("/customer-portal", CustomerPortalAsync);
        return billing;
    }

    internal static async Task<IResult> CheckoutAsync(HttpContext ctx, StripeBilling billing)
    {
        if (billing.CheckoutUnavailable() is { } unavailable)
        {
            return ApiResults.Error(ctx, StatusCodes.Status503ServiceUnavailable, unavailable);
        }

        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, CheckoutFields, CheckoutRequired);
        if (error is not null)
        {
            return error;
        }

        if (!Tiers.TryParse(fields!["tier"], out var tier) || tier == Tier.Free)
        {
            return ApiResults.Unprocessable(ctx, $"'tier' must be 'pro' or 'business', got '{fields["tier"]}'");
        }

        Guid? keyId = null;
        if (fields.TryGetValue("key_id", out var k))
        {
            if (!Guid.TryParseExact(k, "D", out var parsed))
            {
                return ApiResults.Unprocessable(ctx, $"'key_id' must be a UUID, got '{k}'");
            }

            keyId = parsed;
        }

        return Answer(ctx, await billing.CheckoutAsync(RequireCallerFilter.Get(ctx).UserId!.Value, tier, keyId, ctx.RequestAborted));
    }

    internal static async Task<IResult> CustomerPortalAsync(HttpContext ctx, StripeBilling billing) =>
        Answer(ctx, await billing.CustomerPortalAsync(RequireCallerFilter.Get(ctx).UserId!.Value, ctx.RequestAborted));

    private static IResult Answer(HttpContext ctx, BillingResult result) =>
        result.Url is { } url ? ApiResults.Ok(ctx, new UrlResponse(url)) : ApiResults.Error(ctx, result.Status, result.Error ?? "billing failed");
}
