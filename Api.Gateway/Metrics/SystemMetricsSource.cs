using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Api.Gateway.Metrics;

/// <summary>What one scrape renders: each source's values, or null for a source that is down.</summary>
internal sealed record SystemMetricsView(SystemMetricsSnapshot? Redis, SystemGauges? Postgres);

/// <summary>
/// The system-wide values behind the gateway's <c>/metrics</c>. Redis (counters, histograms, WebSocket clients) is
/// read at most once a second, a few small hashes in one round trip; Postgres (queue depths, running jobs, active
/// workers) at most every <see cref="PostgresFreshFor"/>, so frequent scrapes by several Prometheus servers do not
/// turn into a stream of counting queries.
/// </summary>
internal sealed class SystemMetricsSource
{
    public static readonly TimeSpan RedisFreshFor = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan PostgresFreshFor = TimeSpan.FromSeconds(3);

    // A scrape should answer well within Prometheus' default 10 s scrape timeout even when both sources hang.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly CachedRead<SystemMetricsSnapshot> _redis;
    private readonly CachedRead<SystemGauges> _postgres;

    public SystemMetricsSource(SystemMetricsStore redis, PostgresMetricsStore postgres, JobQueueSettings settings, TimeProvider time, ILogger<SystemMetricsSource> logger)
    {
        // As /api/v1/stats counts them: a worker that missed three heartbeats is no longer active.
        var staleAfter = settings.WorkerHeartbeatInterval * 3;
        _redis = new CachedRead<SystemMetricsSnapshot>("redis", _ => redis.ReadAsync(), RedisFreshFor, Timeout, time, logger);
        _postgres = new CachedRead<SystemGauges>("postgres", ct => postgres.GaugesReadAsync(time.GetUtcNow().UtcDateTime, staleAfter, ct), PostgresFreshFor, Timeout, time, logger);
    }

    /// <summary>Both sources, read in parallel.</summary>
    public async Task<SystemMetricsView> ReadAsync(CancellationToken ct)
    {
        var redis = _redis.GetAsync(ct);
        var postgres = _postgres.GetAsync(ct);
        return new SystemMetricsView(await redis, await postgres);
    }
}
