using JobQueue.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Jobs.Api.Tests;

/// <summary>
/// Jobs.Api in process on real Postgres and Redis. The settings go in through <c>UseSetting</c>, which reaches
/// <c>builder.Configuration</c> before <c>AddServiceDefaults</c> reads it (the auth tests would fail otherwise).
/// </summary>
/// <param name="postgresConnectionString">The test's database.</param>
/// <param name="configureServices">Service replacements, if any.</param>
/// <param name="redisPrefix">A Redis key prefix to share with another instance (a fresh one by default).</param>
/// <param name="settings">More settings (name → value), e.g. <c>WS_STATS_INTERVAL</c>.</param>
public sealed class JobsApiFactory(
    string postgresConnectionString,
    Action<IServiceCollection>? configureServices = null,
    string? redisPrefix = null,
    IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    public const string ApiKey = "k1";
    public const string AdminKey = "admin1";
    public const int MaxBodyBytes = 65536;

    public string RedisPrefix { get; } = redisPrefix ?? TestRedisPrefix.New();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:postgres", postgresConnectionString);
        builder.UseSetting("ConnectionStrings:redis", TestInfrastructure.RedisConnectionString);
        builder.UseSetting("REDIS_PREFIX", RedisPrefix);
        builder.UseSetting("API_KEY", ApiKey);
        builder.UseSetting("ADMIN_KEY", AdminKey);
        builder.UseSetting("MAX_REQUEST_BODY_BYTES", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(name, value);
        }

        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }

    /// <summary>A client sending <paramref name="apiKey"/> in X-API-Key (none when null).</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        }

        return client;
    }
}
