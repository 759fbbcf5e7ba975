using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Closes the gap between a worker's pop from Redis and its claim in Postgres: a worker that died in between
/// leaves a claim that expires. Jobs of expired claims that are still waiting in Postgres go back to their queue;
/// then the claims are forgotten (pushing before forgetting, so a crash in between only repeats the work).
/// </summary>
internal sealed class ClaimRescuer(PostgresJobStore store, RedisBroker broker, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<ClaimRescuer> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int Batch = 1000;

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var ids = await broker.ExpiredClaimsAsync(Batch);
        if (ids.Length == 0)
        {
            return Options.ClaimRescueInterval;
        }

        var stillWaiting = await store.JobsWaitingByIdsAsync(ids, ct);
        if (stillWaiting.Count > 0)
        {
            await broker.PushAsync(stillWaiting);
            Logger.ClaimsRescued(stillWaiting.Count, ids.Length);
        }

        await broker.ForgetClaimsAsync(ids);
        return ids.Length >= Batch ? TimeSpan.Zero : Options.ClaimRescueInterval;
    }
}
