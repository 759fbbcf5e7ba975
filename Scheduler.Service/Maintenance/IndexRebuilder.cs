using System.Diagnostics;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Rebuilds the Redis index from Postgres when its completion marker is missing: a new Redis, a restart without
/// persistence, or a FLUSHALL. Every waiting job is pushed again, in (scheduled_at, id) pages; pushing a job that is
/// already indexed is harmless (a claim is a compare-and-set in Postgres). The marker is set only after the last
/// page, so a rebuild cut short (Redis or Postgres gone, leadership lost) starts over on the next check.
/// </summary>
internal sealed class IndexRebuilder(PostgresJobStore store, RedisBroker broker, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<IndexRebuilder> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int PageSize = 5000;

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        if (await broker.IsIndexCompleteAsync())
        {
            return Options.IndexCheckInterval;
        }

        Logger.IndexRebuildStarted();
        var started = Stopwatch.GetTimestamp();
        (DateTime At, Guid Id) after = (DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty);

        // Jobs delayed far ahead are waiting too: they belong in the delayed set.
        var until = Now.AddYears(100);
        int total = 0, pages = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var page = await store.JobsWaitingPageAsync(after, until, PageSize, ct);
            if (page.Count > 0)
            {
                await broker.PushAsync(page);
                total += page.Count;
                pages++;
                after = (page[^1].ReadyAt, page[^1].Id);
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        await broker.MarkIndexCompleteAsync();
        SchedulerMetrics.IndexRebuilds.Add(1);
        Logger.IndexRebuilt(total, pages, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return Options.IndexCheckInterval;
    }
}
