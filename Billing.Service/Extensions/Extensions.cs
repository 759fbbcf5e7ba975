using Billing.Service.Apis;
using Billing.Service.Application;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static IHostApplicationBuilder AddBillingService(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountService>();
        return builder;
    }

    /// <summary>
    /// Accounts (<c>/auth/*</c>), keys and usage (<c>/api/v1/keys</c>, <c>/api/v1/usage</c>) and the portal
    /// (<c>/portal/usage</c>, <c>/portal/regenerate-key</c>). Stripe checkout, customer portal and webhooks come
    /// with the billing issue; until then those paths answer the 404 envelope.
    /// </summary>
    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.MapAuthApi();
        app.MapKeysApi();
        app.MapPortalApi();
        return app;
    }
}
