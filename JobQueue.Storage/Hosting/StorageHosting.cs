using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace JobQueue.Storage.Hosting;

/// <summary>
/// Session settings a service asks of its Postgres connections.
/// </summary>
/// <param name="AsynchronousCommit">
/// For a service whose every write is safe to lose in a Postgres crash (the worker): commits return before the WAL
/// reaches disk (<c>synchronous_commit=off</c>; the WAL writer flushes within 3 × wal_writer_delay, 600 ms by
/// default). What such a crash can undo is a claim or an outcome, which the system already recovers from: the lease
/// expires and the job runs again (at-least-once). Enqueues never use it: the API answers 201 only once the job is
/// on disk.
/// </param>
/// <param name="KeyLookupPlans">
/// For a service whose statements all find rows by primary key (the worker): prepared statements with generic plans
/// (<c>plan_cache_mode=force_generic_plan</c>) and no sequential scans unless nothing else can answer
/// (<c>enable_seqscan=off</c>). Planning is then done once per statement rather than per call, and, above all, the
/// plan cannot follow misleading statistics. Measured: with statistics taken while <c>jobs</c> was nearly empty (a
/// fresh install, or just before a burst), a custom plan of the claim scanned the whole partial
/// <c>jobs_waiting_idx</c> (12 ms per claim of 64 at a 20k backlog, growing with the backlog), and a generic plan
/// made on the empty table was a sequential scan kept for the connection's lifetime. The statuses in those
/// statements are parameters, so no partial index predicate can be proven, which leaves <c>jobs_pkey</c>.
/// </param>
public sealed record PostgresSession(bool AsynchronousCommit = false, bool KeyLookupPlans = false);

/// <summary>
/// The storage module a service adds when it reads or writes jobs: Postgres and Redis through Aspire's client
/// integrations (<c>AddNpgsqlDataSource("postgres")</c>, <c>AddRedisClient("redis")</c>: one data source and one
/// multiplexer per process, with their logging, metrics and, when traces are exported, spans), the tuned Postgres
/// session, the <c>postgres</c> and <c>redis</c> readiness checks of <c>/health</c>, and the stores.
/// </summary>
public static class StorageHosting
{
    public const string PostgresName = "postgres";
    public const string RedisName = "redis";

    public static IHostApplicationBuilder AddJobQueueStorage(this IHostApplicationBuilder builder, PostgresSession? session = null)
    {
        var config = builder.Configuration;
        // Spans only when they can go somewhere (as in ServiceDefaults): sampling every command costs hot-path CPU.
        var tracing = !string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var postgres = TunedPostgres(PostgresConnectionString(config), session ?? new PostgresSession(), config, builder.Environment.ApplicationName);
        builder.AddNpgsqlDataSource(PostgresName, s =>
        {
            s.ConnectionString = postgres;
            s.DisableTracing = !tracing;
            s.DisableHealthChecks = true; // ours below, named as the original's /health names them
        });
        // Aspire.Npgsql gives the data source the host's loggers, and Npgsql logs every command it runs at Information
        // ("Command execution completed …"): an idle scheduler wrote 298 such lines in 50 s, each one console output
        // on the hot path under load. Warnings and errors still come through.
        builder.Logging.AddFilter("Npgsql.Command", LogLevel.Warning);
        builder.AddRedisClient(RedisName, s =>
        {
            s.ConnectionString = RedisConfiguration(config);
            s.DisableTracing = !tracing; // a span per command (the StackExchange.Redis instrumentation), scripts included
            s.DisableHealthChecks = true;
        }, options =>
        {
            options.AbortOnConnectFail = false; // keep retrying in the background: Redis may come up after us
            options.ClientName = builder.Environment.ApplicationName;
            options.ConnectTimeout = 3000;
            options.SyncTimeout = 3000;
            options.AsyncTimeout = 3000;
        });

        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>(PostgresName, tags: ["ready"])
            .AddCheck<RedisHealthCheck>(RedisName, tags: ["ready"]);

        var settings = JobQueueSettings.From(key => config[key]);
        builder.Services.AddSingleton(new RedisKeys(settings.RedisPrefix));
        builder.Services.AddSingleton<PostgresJobStore>();
        builder.Services.AddSingleton<PostgresWorkerStore>();
        builder.Services.AddSingleton<PostgresMetricsStore>();
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<UsageMeter>();
        builder.Services.AddSingleton<RedisBroker>();
        builder.Services.AddSingleton<RedisRateLimiter>();
        builder.Services.AddSingleton<SystemMetricsStore>();
        return builder;
    }

    private static string TunedPostgres(string connectionString, PostgresSession session, IConfiguration config, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (session.AsynchronousCommit)
        {
            csb.Options = ((csb.Options ?? "") + " -c synchronous_commit=off").Trim();
        }

        if (session.KeyLookupPlans)
        {
            csb.Options = ((csb.Options ?? "") + " -c plan_cache_mode=force_generic_plan -c enable_seqscan=off").Trim();
            csb.MaxAutoPrepare = 64;
            csb.AutoPrepareMinUsages = 2;
        }

        if (config["DB_MAX_CONNS"] is { } max) { csb.MaxPoolSize = int.Parse(max, System.Globalization.CultureInfo.InvariantCulture); }
        if (config["DB_MIN_CONNS"] is { } min) { csb.MinPoolSize = int.Parse(min, System.Globalization.CultureInfo.InvariantCulture); }
        // Fail fast when Postgres is down: an enqueue should answer 503 in seconds, not hang for the default 15 s + retries.
        if (csb.Timeout == 15) { csb.Timeout = 3; }
        csb.ApplicationName ??= applicationName;
        // No statement of ours leaves session state behind (the advisory locks are released explicitly), so a
        // pooled connection needs no DISCARD ALL on its next use: measured as Postgres CPU on every enqueue.
        csb.NoResetOnClose = true;
        return csb.ConnectionString;
    }

    /// <summary><c>ConnectionStrings:postgres</c> (Aspire), else <c>DATABASE_DSN</c> (the original; a libpq URL is converted).</summary>
    public static string PostgresConnectionString(IConfiguration config) =>
        config.GetConnectionString(PostgresName) is { Length: > 0 } cs ? ConnectionStrings.ToNpgsql(cs)
        : config["DATABASE_DSN"] is { Length: > 0 } dsn ? ConnectionStrings.ToNpgsql(dsn)
        : throw new InvalidOperationException("No Postgres configured: set ConnectionStrings__postgres (or DATABASE_DSN), or start the system with `dotnet run --project JobQueue.AppHost`.");

    /// <summary><c>ConnectionStrings:redis</c> (Aspire), else <c>REDIS_ADDR</c>/<c>REDIS_PASSWORD</c>/<c>REDIS_DB</c>/<c>REDIS_TLS</c>.</summary>
    public static string RedisConfiguration(IConfiguration config) =>
        config.GetConnectionString(RedisName) is { Length: > 0 } cs ? cs
        : config["REDIS_ADDR"] is { Length: > 0 } addr
            ? ConnectionStrings.RedisFromParts(addr, config["REDIS_PASSWORD"], config["REDIS_DB"], config["REDIS_TLS"] is "true" or "1")
            : throw new InvalidOperationException("No Redis configured: set ConnectionStrings__redis (or REDIS_ADDR), or start the system with `dotnet run --project JobQueue.AppHost`.");
}

/// <summary>Healthy when a pooled connection answers <c>SELECT 1</c>.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>Healthy when Redis answers PING.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
