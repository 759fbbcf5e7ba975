using Billing.Service.Apis;
using Billing.Service.Application;
using JobQueue.Storage.Postgres;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static IHostApplicationBuilder AddBillingService(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountService>();
        builder.Services.AddSingleton<StripeSettings>();
        builder.Services.AddSingleton<BillingStore>();
        builder.Services.AddSingleton<StripeBilling>();
        return builder;
    }

    /// <summary>
    /// Accounts (<c>/auth/*</c>), keys and usage (<c>/api/v1/keys</c>, <c>/api/v1/usage</c>) and the portal
    /// (<c>/portal/usage</c>, <c>/portal/regenerate-key</c>), Stripe billing (<c>/portal/checkout</c>,
    /// <c>/portal/customer-portal</c>) and Stripe's webhooks (<c>/webhooks/stripe</c>).
    /// </summary>
    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.MapAuthApi();
        app.MapKeysApi();
        app.MapPortalApi();
        app.MapBillingPortalApi();
        app.MapStripeWebhookApi();
        return app;
    }
}
