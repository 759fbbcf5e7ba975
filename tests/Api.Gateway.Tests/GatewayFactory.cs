using JobQueue.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Gateway.Tests;

/// <summary>
/// The gateway in process with no downstream services configured (nothing is proxied here), on the given Postgres
/// and Redis, rate limiting off unless <paramref name="settings"/> turn it on. Settings go in through <c>UseSetting</c>,
/// which reaches the configuration before AddServiceDefaults reads it.
/// </summary>
/// <param name="settings">More settings (name → value), e.g. <c>METRICS_TOKEN</c>, <c>TRUSTED_PROXIES</c>.</param>
/// <param name="environment">The host environment (Development unless a test needs another).</param>
public sealed class GatewayFactory(
    string postgresConnectionString,
    string redisConnectionString,
    IReadOnlyDictionary<string, string>? settings = null,
    string environment = "Development") : WebApplicationFactory<Program>
{
    public string RedisPrefix { get; } = TestRedisPrefix.New();

    /// <summary>Starts the gateway on real Kestrel at a free port (for raw sockets and distinct peer addresses); its address.</summary>
    public Uri StartOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("ConnectionStrings:postgres", postgresConnectionString);
        builder.UseSetting("ConnectionStrings:redis", redisConnectionString);
        builder.UseSetting("REDIS_PREFIX", RedisPrefix);
        builder.UseSetting("RATE_LIMIT_RPS", "0");
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(name, value);
        }
    }
}
