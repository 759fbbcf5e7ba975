using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Moves due delayed and retrying jobs into their ready queues. After a full batch it goes again at once; otherwise
/// it sleeps until the next job is due, but never longer than <see cref="SchedulerOptions.PromoteMaxSleep"/> (250 ms),
/// so lateness stays well under a second and a job delayed meanwhile for sooner is still noticed in time.
/// </summary>
internal sealed class DelayedJobPromoter(RedisBroker broker, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<DelayedJobPromoter> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int Batch = 1000;

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var (moved, nextDue) = await broker.PromoteDueAsync(Batch);
        if (moved > 0)
        {
            SchedulerMetrics.Promoted.Add(moved);
        }

        if (moved >= Batch)
        {
            return TimeSpan.Zero;
        }

        var max = Options.PromoteMaxSleep;
        if (nextDue is null)
        {
            return max;
        }

        var until = nextDue.Value - Time.GetUtcNow();
        return until <= TimeSpan.Zero ? TimeSpan.Zero : until < max ? until : max;
    }
}
