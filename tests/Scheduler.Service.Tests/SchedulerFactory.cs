using JobQueue.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Scheduler.Service.Tests;

/// <summary>
/// Scheduler.Service in process on real Postgres and Redis, with two callers: the tenant of <see cref="ApiKey"/>
/// (<c>default</c>) and the operator of <see cref="AdminKey"/>, whose own schedules belong to the tenant <c>admin</c>.
/// Until accounts exist (issue 3) these are the only two owners a request can act as.
/// </summary>
public sealed class SchedulerFactory(string postgresConnectionString) : WebApplicationFactory<Program>
{
    public const string ApiKey = "k1";
    public const string AdminKey = "admin1";

    public string RedisPrefix { get; } = TestRedisPrefix.New();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:postgres", postgresConnectionString);
        builder.UseSetting("ConnectionStrings:redis", TestInfrastructure.RedisConnectionString);
        builder.UseSetting("REDIS_PREFIX", RedisPrefix);
        builder.UseSetting("API_KEY", ApiKey);
        builder.UseSetting("ADMIN_KEY", AdminKey);
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
