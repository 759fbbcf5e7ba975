using JobQueue.Core.Configuration;
using JobQueue.Core.Events;
using JobQueue.Storage.Postgres;
using Jobs.Api.Apis;

namespace Jobs.Api.Live;

/// <summary>
/// Every <see cref="LiveOptions.StatsInterval"/>: sends each connected client a <c>stats.update</c> frame with its
/// tenant's figures (the data of <c>GET /api/v1/stats</c>). One query per tenant with clients on this process, not
/// one per client; nothing at all when nobody is connected.
/// </summary>
public sealed partial class LiveStatsTicker(
    LiveHub hub,
    PostgresJobStore store,
    JobQueueSettings settings,
    LiveOptions options,
    TimeProvider time,
    ILogger<LiveStatsTicker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // At shutdown the wait throws OperationCanceledException: the task ends cancelled, which the host expects.
        using var timer = new PeriodicTimer(options.StatsInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await TickAsync(stoppingToken);
        }
    }

    /// <summary>One round: the stats of every tenant watching here, each sent to that tenant's clients.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        if (hub.ClientCount == 0)
        {
            return;
        }

        // An administrator's scope is null (every tenant), a group of its own.
        foreach (var tenant in hub.Clients.Where(c => c.Wants(EventNames.StatsUpdate)).GroupBy(c => c.ScopeOwner).ToList())
        {
            byte[] frame;
            try
            {
                var now = time.GetUtcNow();
                var stats = await store.JobsStatsAsync(tenant.Key, now.UtcDateTime, StatsApi.StaleAfter(settings), ct);
                frame = LiveFrames.ForStats(StatsResponse.From(stats), now.ToUnixTimeMilliseconds());
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Postgres away for a moment: the next tick tries again; the job events keep flowing meanwhile.
                LogStatsFailed(logger, e.Message);
                return;
            }

            foreach (var client in tenant)
            {
                hub.Deliver(client, frame);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "stats.update skipped: {Reason}")]
    private static partial void LogStatsFailed(ILogger logger, string reason);
}
