using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Re-indexes waiting jobs that Redis does not know although they have been due for a while (a crash between a
/// Postgres commit and the Redis push, in the API, a worker or this scheduler). It walks waiting jobs in
/// (scheduled_at, id) order from a watermark up to now − <see cref="SchedulerOptions.StaleSweepGrace"/>, with at most
/// <see cref="MaxPagesPerTick"/> pages a tick, so each job is checked about once and a tick's work stays bounded.
/// </summary>
/// <remarks>
/// Every write that makes a job waiting also sets its scheduled_at to now or later, so new strays land after the
/// watermark. Still, the watermark goes back to the start every <see cref="SchedulerOptions.StaleSweepFullPassInterval"/>
/// and with every new term of leadership, so that nothing can be missed for ever.
/// </remarks>
internal sealed class StaleIndexSweeper(PostgresJobStore store, RedisBroker broker, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<StaleIndexSweeper> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int PageSize = 2000;
    private const int MaxPagesPerTick = 20;
    private static readonly (DateTime At, Guid Id) Start = (DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty);

    private (DateTime At, Guid Id) _watermark = Start;
    private DateTime? _passStartedAt;

    protected override void OnLeadershipLost()
    {
        _watermark = Start;
        _passStartedAt = null;
    }

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var now = Now;
        _passStartedAt ??= now;
        var until = now - Options.StaleSweepGrace;
        var caughtUp = false;
        var reindexed = 0;
        for (var pages = 0; pages < MaxPagesPerTick; pages++)
        {
            var page = await store.JobsWaitingPageAsync(_watermark, until, PageSize, ct);
            if (page.Count > 0)
            {
                var missing = (await broker.FindUnindexedAsync(page)).ToHashSet();
                if (missing.Count > 0)
                {
                    await broker.PushAsync(page.Where(e => missing.Contains(e.Id)).ToList());
                    reindexed += missing.Count;
                }

                _watermark = (page[^1].ReadyAt, page[^1].Id);
            }

            if (page.Count < PageSize)
            {
                caughtUp = true;
                break;
            }
        }

        if (reindexed > 0)
        {
            Logger.StaleReindexed(reindexed);
        }

        if (caughtUp && now - _passStartedAt >= Options.StaleSweepFullPassInterval)
        {
            _watermark = Start;
            _passStartedAt = null;
        }

        return Options.StaleSweepInterval;
    }
}
