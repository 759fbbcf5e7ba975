using System.Globalization;
using JobQueue.AppHost.Development;
using JobQueue.AppHost.Servers;
using JobQueue.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;

namespace JobQueue.AppHost;

/// <summary>JobQueue's conventions on top of Aspire's model.</summary>
internal static class Extensions
{
    /// <summary>
    /// Postgres as <c>ConnectionStrings__postgres</c>: a server the user runs (ConnectionStrings__postgres or the
    /// original's DATABASE_DSN given: none is started), else our own executable in run mode, else (publish) Aspire's
    /// Postgres, so the manifest names a real server with the same database.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddJobQueuePostgres(this IDistributedApplicationBuilder builder, string name, AppHostSettings settings)
    {
        if ((builder.Configuration.GetConnectionString(name) ?? builder.Configuration["DATABASE_DSN"]) is { Length: > 0 } external)
        {
            builder.Configuration[$"ConnectionStrings:{name}"] = ConnectionStrings.ToNpgsql(external);
            return builder.AddConnectionString(name);
        }

        return builder.ExecutionContext.IsPublishMode
            ? builder.AddPostgres($"{name}-server").AddDatabase(name, LocalPostgresResource.DatabaseName)
            : builder.AddLocalPostgres(name, Path.Combine(settings.DataDirectory, "postgres"), settings.Durable);
    }

    /// <summary>Redis as <c>ConnectionStrings__redis</c>, chosen as <see cref="AddJobQueuePostgres"/> is (REDIS_ADDR for the original's setting).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddJobQueueRedis(this IDistributedApplicationBuilder builder, string name, AppHostSettings settings)
    {
        var configuration = builder.Configuration;
        if ((configuration.GetConnectionString(name) is { Length: > 0 } cs ? cs
            : configuration["REDIS_ADDR"] is { Length: > 0 } addr ? ConnectionStrings.RedisFromParts(addr, configuration["REDIS_PASSWORD"], configuration["REDIS_DB"], configuration["REDIS_TLS"] is "true" or "1")
            : null) is { } external)
        {
            configuration[$"ConnectionStrings:{name}"] = external;
            return builder.AddConnectionString(name);
        }

        return builder.ExecutionContext.IsPublishMode
            ? builder.AddRedis(name)
            : builder.AddLocalRedis(name, Path.Combine(settings.DataDirectory, "redis"));
    }

    /// <summary>
    /// What every service gets from the AppHost: the AppHost's environment name (rather than the launch profile's
    /// Development), and when it runs in Development the API key of the README's quickstart and a JWT signing secret
    /// made once per install (tokens billing issues are checked by every service, and survive restarts). Never in a
    /// published manifest: a deployment brings its own secrets.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithJobQueueEnvironment(this IResourceBuilder<ProjectResource> project, IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        var environmentName = builder.Environment.EnvironmentName;
        project.WithEnvironment("ASPNETCORE_ENVIRONMENT", environmentName).WithEnvironment("DOTNET_ENVIRONMENT", environmentName);
        if (IsDevelopmentRun(builder))
        {
            if (string.IsNullOrEmpty(builder.Configuration["API_KEY"]))
            {
                project.WithEnvironment("API_KEY", AppHostSettings.DevelopmentApiKey);
            }

            if (string.IsNullOrEmpty(builder.Configuration["JWT_SECRET"]))
            {
                project.WithEnvironment("JWT_SECRET", DevelopmentSecrets.JwtSecret(settings.DataDirectory));
            }
        }

        return project;
    }

    /// <summary>
    /// In Development webhooks may go to a receiver on this machine (loopback only, never the private network) unless
    /// WEBHOOK_ALLOW_PRIVATE_ADDRESSES says otherwise, and the signing secrets' key ring lives in the data folder.
    /// Elsewhere the dispatcher's defaults hold: public addresses only, and a key ring it must be given.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentWebhookDelivery(this IResourceBuilder<ProjectResource> dispatcher, IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        if (!IsDevelopmentRun(builder))
        {
            return dispatcher;
        }

        if (string.IsNullOrEmpty(builder.Configuration["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]))
        {
            dispatcher.WithEnvironment("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "loopback");
        }

        if (string.IsNullOrEmpty(builder.Configuration["WEBHOOK_SECRET_KEYS_DIR"]))
        {
            dispatcher.WithEnvironment("WEBHOOK_SECRET_KEYS_DIR", Path.Combine(settings.DataDirectory, "webhook-secret-keys"));
        }

        return dispatcher;
    }

    /// <summary>The <c>http</c> endpoint on a port DCP chooses, reached directly rather than through DCP's proxy.</summary>
    public static IResourceBuilder<ProjectResource> WithUnproxiedHttpEndpoint(this IResourceBuilder<ProjectResource> project) =>
        project.WithEndpoint("http", endpoint => (endpoint.Port, endpoint.TargetPort, endpoint.IsProxied) = (null, null, false));

    /// <summary>
    /// Every replica of <paramref name="service"/> as <c>services__{service}__http__{i}</c>, the form service discovery
    /// reads (the gateway makes one destination of each), waiting for all of them.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReplicaReferences(this IResourceBuilder<ProjectResource> gateway, string service, IReadOnlyList<IResourceBuilder<ProjectResource>> replicas)
    {
        for (var i = 0; i < replicas.Count; i++)
        {
            gateway.WithEnvironment($"services__{service}__http__{i}", replicas[i].GetEndpoint("http")).WaitFor(replicas[i]);
        }

        return gateway;
    }

    /// <summary>
    /// BASE_URL: where the browser comes back to (Stripe's redirects, the password-reset link): the gateway's address,
    /// or the one given. A manifest gets only a given one.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublicBaseUrl(this IResourceBuilder<ProjectResource> billing, IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        var baseUrl = builder.Configuration["BASE_URL"] is { Length: > 0 } given ? given
            : builder.ExecutionContext.IsPublishMode ? null
            : string.Create(CultureInfo.InvariantCulture, $"http://localhost:{settings.GatewayPort}");
        return baseUrl is null ? billing : billing.WithEnvironment("BASE_URL", baseUrl);
    }

    /// <summary>
    /// In Development, once billing is healthy, the demo account is registered (or checked): the banner prints it, and
    /// billing's log in the Aspire dashboard keeps it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDemoAccount(this IResourceBuilder<ProjectResource> billing, IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        if (IsDevelopmentRun(builder))
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(billing.Resource, async (e, ct) =>
            {
                StartupBanner.DemoAccountLines = await DemoAccount.EnsureAsync(billing.GetEndpoint("http").Url, settings.DataDirectory, ct);
                var log = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(billing.Resource);
                foreach (var line in StartupBanner.DemoAccountLines)
                {
                    log.LogInformation("{DemoAccount}", line);
                }
            });
        }

        return billing;
    }

    /// <summary>
    /// ASPIRE_DASHBOARD_URL: where the Aspire dashboard runs (the launch profile's address), so the React dashboard links a
    /// job's trace id to its trace there. Not in a manifest: a deployment has its own trace viewer or none.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAspireDashboardLink(this IResourceBuilder<ProjectResource> dashboard, IDistributedApplicationBuilder builder) =>
        !builder.ExecutionContext.IsPublishMode && builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0] is { Length: > 0 } aspireDashboard
            ? dashboard.WithEnvironment("ASPIRE_DASHBOARD_URL", aspireDashboard)
            : dashboard;

    /// <summary>Once the gateway is healthy: where to go, the dashboard's login link, the API key and the demo account.</summary>
    public static IResourceBuilder<ProjectResource> WithStartupBanner(this IResourceBuilder<ProjectResource> gateway, IDistributedApplicationBuilder builder, AppHostSettings settings)
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(gateway.Resource, (_, _) =>
            {
                StartupBanner.Print(builder.Configuration, settings);
                return Task.CompletedTask;
            });
        }

        return gateway;
    }

    private static bool IsDevelopmentRun(IDistributedApplicationBuilder builder) =>
        builder.Environment.IsDevelopment() && !builder.ExecutionContext.IsPublishMode;
}
