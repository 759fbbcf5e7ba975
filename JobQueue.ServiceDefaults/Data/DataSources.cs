using JobQueue.Core.Configuration;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace JobQueue.ServiceDefaults.Data;

/// <summary>
/// Session settings a service asks of its Postgres connections, registered before the data source is first used.
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

/// <summary>Registers one <see cref="NpgsqlDataSource"/> and one Redis multiplexer per process, read from Aspire's connection-string names or the original's variables.</summary>
public static class DataSources
{
    public static IHostApplicationBuilder AddDataSources(this IHostApplicationBuilder builder, JobQueueSettings settings)
    {
        var pg = PostgresConnectionString(builder.Configuration);
        var redis = RedisConfiguration(builder.Configuration);

        builder.Services.AddSingleton(sp =>
        {
            var csb = new NpgsqlConnectionStringBuilder(pg);
            var session = sp.GetService<PostgresSession>() ?? new PostgresSession();
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

            if (builder.Configuration["DB_MAX_CONNS"] is { } max) { csb.MaxPoolSize = int.Parse(max, System.Globalization.CultureInfo.InvariantCulture); }
            if (builder.Configuration["DB_MIN_CONNS"] is { } min) { csb.MinPoolSize = int.Parse(min, System.Globalization.CultureInfo.InvariantCulture); }
            // Fail fast when Postgres is down: an enqueue should answer 503 in seconds, not hang for the default 15 s + retries.
            if (csb.Timeout == 15) { csb.Timeout = 3; }
            csb.ApplicationName ??= builder.Environment.ApplicationName;
            // No statement of ours leaves session state behind (the advisory locks are released explicitly), so a
            // pooled connection needs no DISCARD ALL on its next use: measured as Postgres CPU on every enqueue.
            csb.NoResetOnClose = true;
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
