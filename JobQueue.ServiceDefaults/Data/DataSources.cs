using JobQueue.Core.Configuration;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace JobQueue.ServiceDefaults.Data;

/// <summary>Registers one <see cref="NpgsqlDataSource"/> and one Redis multiplexer per process, read from Aspire's connection-string names or the original's variables.</summary>
public static class DataSources
{
    public static IHostApplicationBuilder AddDataSources(this IHostApplicationBuilder builder, JobQueueSettings settings)
    {
        var pg = PostgresConnectionString(builder.Configuration);
        var redis = RedisConfiguration(builder.Configuration);

        builder.Services.AddSingleton(_ =>
        {
            var csb = new NpgsqlConnectionStringBuilder(pg);
            if (builder.Configuration["DB_MAX_CONNS"] is { } max) { csb.MaxPoolSize = int.Parse(max, System.Globalization.CultureInfo.InvariantCulture); }
            if (builder.Configuration["DB_MIN_CONNS"] is { } min) { csb.MinPoolSize = int.Parse(min, System.Globalization.CultureInfo.InvariantCulture); }
            // Fail fast when Postgres is down: an enqueue should answer 503 in seconds, not hang for the default 15 s + retries.
            if (csb.Timeout == 15) { csb.Timeout = 3; }
            csb.ApplicationName ??= builder.Environment.ApplicationName;
            var dsb = new NpgsqlDataSourceBuilder(csb.ConnectionString);
            return dsb.Build();
        });
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(redis);
            options.AbortOnConnectFail = false; // keep retrying in the background: Redis may come up after us
            options.ClientName = builder.Environment.ApplicationName;
            options.ConnectTimeout = 3000;
            options.SyncTimeout = 3000;
            options.AsyncTimeout = 3000;
            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddSingleton(sp => new RedisKeys(settings.RedisPrefix));
        builder.Services.AddJobQueueStorage();
        return builder;
    }

    /// <summary><c>ConnectionStrings:postgres</c> (Aspire), else <c>DATABASE_DSN</c> (the original; a libpq URL is converted).</summary>
    public static string PostgresConnectionString(IConfiguration config) =>
        config.GetConnectionString("postgres") is { Length: > 0 } cs ? ConnectionStrings.ToNpgsql(cs)
        : config["DATABASE_DSN"] is { Length: > 0 } dsn ? ConnectionStrings.ToNpgsql(dsn)
        : throw new InvalidOperationException("No Postgres configured: set ConnectionStrings__postgres (or DATABASE_DSN), or start the system with `dotnet run --project JobQueue.AppHost`.");

    /// <summary><c>ConnectionStrings:redis</c> (Aspire), else <c>REDIS_ADDR</c>/<c>REDIS_PASSWORD</c>/<c>REDIS_DB</c>/<c>REDIS_TLS</c>.</summary>
    public static string RedisConfiguration(IConfiguration config) =>
        config.GetConnectionString("redis") is { Length: > 0 } cs ? cs
        : config["REDIS_ADDR"] is { Length: > 0 } addr
            ? ConnectionStrings.RedisFromParts(addr, config["REDIS_PASSWORD"], config["REDIS_DB"], config["REDIS_TLS"] is "true" or "1")
            : throw new InvalidOperationException("No Redis configured: set ConnectionStrings__redis (or REDIS_ADDR), or start the system with `dotnet run --project JobQueue.AppHost`.");
}
