using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Running jobs whose lease expired (their worker died or stopped heartbeating): back to pending and into their
/// queue if attempts remain, else dead into the DLQ. Both are compare-and-sets, so a worker's late answer loses.
/// </summary>
internal sealed class LeaseRescuer(PostgresJobStore store, RedisBroker broker, JobQueueSettings settings, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<LeaseRescuer> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int Batch = 1000;
    private const string LastAttemptError = "lease expired on the last attempt: worker stopped heartbeating";

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var now = Now;

        // A crash between this commit and the push leaves pending jobs unindexed: the StaleIndexSweeper finds them.
        var rescued = await store.JobsRescueExpiredAsync(now, Batch, ct);
        if (rescued.Count > 0)
        {
            await broker.PushAsync(rescued);
        }

        var expired = await store.JobsExpiredOnLastAttemptAsync(now, Batch, ct);
        var killed = 0;
        foreach (var (id, attempt) in expired)
        {
            // Null: the job moved on meanwhile (its worker answered late after all); nothing to do.
            if (await store.JobsKillAsync(new JobsKillParams(id, attempt, null, LastAttemptError, now, settings.DlqRetention), ct) is not null)
            {
                killed++;
            }
        }

        if (rescued.Count + killed > 0)
        {
            SchedulerMetrics.LeasesRescued.Add(rescued.Count + killed);
            Logger.LeasesRescued(rescued.Count, killed);
        }

        return rescued.Count >= Batch || killed >= Batch ? TimeSpan.Zero : Options.LeaseRescueInterval;
    }
}
