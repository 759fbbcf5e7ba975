using JobQueue.Storage.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Webhook.Dispatcher.Apis;
using Webhook.Dispatcher.Delivery;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    /// <summary>The webhooks API, and the delivery loop that every replica runs.</summary>
    public static IHostApplicationBuilder AddWebhookDispatcher(this IHostApplicationBuilder builder)
    {
        var options = WebhookOptions.From(key => builder.Configuration[key]);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.AddressPolicy);
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<WebhookSender>();
        builder.AddSigningSecrets();
        // Registered before the loop: hosted services start in order, so no delivery is signed from a row still plain.
        services.AddHostedService<PlainSecretProtector>();
        services.AddHostedService<DeliveryLoop>();
        services.AddHostedService<DeliveryLogCleaner>();

        // EXTEXP0001: RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client
        // out of ConfigureHttpClientDefaults' resilience handler. Retries are the delivery policy's, recorded one by one.
#pragma warning disable EXTEXP0001
        services.AddHttpClient(WebhookSender.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan) // WEBHOOK_TIMEOUT is applied per attempt
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The address rule is enforced on the address connected to: DNS rebinding cannot get past it.
                ConnectCallback = options.PrivateAddresses == JobQueue.Core.Net.PrivateAddressAccess.All ? null : options.AddressPolicy.ConnectAsync,
                UseProxy = false, // a proxy would connect on our behalf, past the address check
                AllowAutoRedirect = false, // a redirect is the receiver's misconfiguration, reported as its status
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }

    /// <summary>Data Protection for signing secrets, its key ring in <c>WEBHOOK_SECRET_KEYS_DIR</c> (see <see cref="SigningSecrets"/>).</summary>
    private static void AddSigningSecrets(this IHostApplicationBuilder builder)
    {
        var keys = SigningSecrets.KeysDirectory(builder.Configuration[SigningSecrets.KeysDirectorySetting], builder.Environment.IsDevelopment());
        builder.Services.AddDataProtection()
            .SetApplicationName(SigningSecrets.ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(keys));
        builder.Services.AddSingleton<SigningSecrets>();
    }

    /// <summary>The dispatcher's public routes: <c>/api/v1/webhooks</c>.</summary>
    public static WebApplication MapWebhooksApiV1(this WebApplication app)
    {
        app.MapWebhooksApi();
        return app;
    }
}
