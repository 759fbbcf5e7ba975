using JobQueue.Storage.Postgres;

namespace Scheduler.Service.Maintenance;

/// <summary>Deletes ended jobs past their TTL and DLQ entries past retention, in batches, and forgets long-gone workers.</summary>
internal sealed class ExpiredJobCleaner(PostgresJobStore store, PostgresWorkerStore workers, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<ExpiredJobCleaner> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int Batch = 5000;

    // Bounds one tick (and how long a delete holds its locks in a row) when a large backlog has expired at once.
    private const int MaxBatchesPerTick = 100;

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        int jobs = 0, dlq = 0;
        for (var i = 0; i < MaxBatchesPerTick; i++)
        {
            var (j, d) = await store.PurgeExpiredAsync(Now, Batch, ct);
            jobs += j;
            dlq += d;
            if (j < Batch && d < Batch)
            {
                break;
            }
        }

        var gone = await workers.WorkersForgetAsync(Now, ct);
        if (jobs + dlq + gone > 0)
        {
            Logger.Purged(jobs, dlq, gone);
        }

        return Options.CleanupInterval;
    }
}
