using System.Diagnostics.Metrics;
using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

internal static class SchedulerMetrics
{
    public static readonly Meter Meter = new("JobQueue.Scheduler");
    public static readonly Counter<long> Promoted = Meter.CreateCounter<long>("jobqueue.scheduler.promoted", description: "Delayed or retrying jobs made ready");
    public static readonly Counter<long> Rescued = Meter.CreateCounter<long>("jobqueue.scheduler.leases_rescued", description: "Running jobs whose lease expired");
    public static readonly Counter<long> Rebuilds = Meter.CreateCounter<long>("jobqueue.scheduler.index_rebuilds", description: "Redis index rebuilds from Postgres");
}

/// <summary>Moves due delayed and retrying jobs to their ready sets; sleeps until the next is due (≤ 100 ms), so lateness stays sub-second.</summary>
internal sealed class DelayedJobPromoter(RedisBroker broker, LeaderElection election, TimeProvider time, ILogger<DelayedJobPromoter> logger)
    : LeaderRole(election, time, logger)
{
    private const int Batch = 1000;
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(100);

    protected override TimeSpan Idle => TimeSpan.FromMilliseconds(250);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var (moved, next) = await broker.PromoteDueAsync(Batch);
        SchedulerMetrics.Promoted.Add(moved);
        if (moved == Batch)
        {
            return TimeSpan.Zero;
        }

        if (next is null)
        {
            return MaxSleep;
        }

        var until = next.Value - Time.GetUtcNow();
        return until <= TimeSpan.Zero ? TimeSpan.Zero : until < MaxSleep ? until : MaxSleep;
    }
}

/// <summary>
/// Rebuilds the Redis index from Postgres when the epoch key is missing: a new Redis, a restart without persistence,
/// or a FLUSHALL. Every waiting job is pushed again (duplicates are harmless: the claim is a Postgres CAS).
/// </summary>
internal sealed partial class IndexRebuilder(PostgresJobStore store, RedisBroker broker, LeaderElection election, TimeProvider time, ILogger<IndexRebuilder> logger)
    : LeaderRole(election, time, logger)
{
    protected override TimeSpan Idle => TimeSpan.FromMilliseconds(500);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        if (await broker.IsIndexCompleteAsync())
        {
            return Idle;
        }

        var after = (DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty);
        var until = Now.AddYears(100);
        var total = 0;
        while (true)
        {
            var page = await store.JobsWaitingPageAsync(after, until, 5000, ct);
            if (page.Count == 0)
            {
                break;
            }

            await broker.PushAsync(page);
            total += page.Count;
            after = (page[^1].ReadyAt, page[^1].Id);
        }

        await broker.MarkIndexCompleteAsync();
        SchedulerMetrics.Rebuilds.Add(1);
        LogRebuilt(logger, total);
        return Idle;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilt the Redis index from Postgres: {Count} waiting jobs")]
    private static partial void LogRebuilt(ILogger logger, int count);
}

/// <summary>Puts back jobs popped by a worker that died before confirming its claim in Postgres.</summary>
internal sealed class ClaimRescuer(PostgresJobStore store, RedisBroker broker, LeaderElection election, TimeProvider time, ILogger<ClaimRescuer> logger)
    : LeaderRole(election, time, logger)
{
    protected override TimeSpan Idle => TimeSpan.FromSeconds(2);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var ids = await broker.ExpiredClaimsAsync(1000);
        if (ids.Length > 0)
        {
            await broker.PushAsync(await store.JobsWaitingByIdsAsync(ids, ct));
            await broker.ForgetClaimsAsync(ids);
        }

        return Idle;
    }
}

/// <summary>Running jobs whose lease expired (their worker died): back to pending if attempts remain, else dead into the DLQ.</summary>
internal sealed class LeaseRescuer(PostgresJobStore store, RedisBroker broker, JobQueueSettings settings, LeaderElection election, TimeProvider time, ILogger<LeaseRescuer> logger)
    : LeaderRole(election, time, logger)
{
    protected override TimeSpan Idle => TimeSpan.FromSeconds(1);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var now = Now;
        var rescued = await store.JobsRescueExpiredAsync(now, 1000, ct);
        await broker.PushAsync(rescued);
        SchedulerMetrics.Rescued.Add(rescued.Count);
        foreach (var (id, attempt) in await store.JobsExpiredOnLastAttemptAsync(now, 1000, ct))
        {
            await store.JobsKillAsync(new JobsKillParams(id, attempt, null, "lease expired on the last attempt: the worker stopped heartbeating", now, settings.DlqRetention), ct);
            SchedulerMetrics.Rescued.Add(1);
        }

        return rescued.Count == 1000 ? TimeSpan.Zero : Idle;
    }
}

/// <summary>
/// Re-indexes waiting jobs that are in neither their ready set nor the claim set although due for 30 s (an API
/// crash between its Postgres commit and its Redis push). It walks a sliding window of due times, so each job is
/// checked about once, with bounded work per tick.
/// </summary>
internal sealed partial class StaleIndexSweeper(PostgresJobStore store, RedisBroker broker, LeaderElection election, TimeProvider time, ILogger<StaleIndexSweeper> logger)
    : LeaderRole(election, time, logger)
{
    private (DateTime At, Guid Id) _watermark = (DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty);

    protected override TimeSpan Idle => TimeSpan.FromSeconds(15);

    protected override void OnLeadershipLost() =>
        _watermark = (DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), Guid.Empty);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var until = Now.AddSeconds(-30);
        for (var pages = 0; pages < 20; pages++)
        {
            var page = await store.JobsWaitingPageAsync(_watermark, until, 2000, ct);
            if (page.Count == 0)
            {
                break;
            }

            var missing = (await broker.FindUnindexedAsync(page)).ToHashSet();
            if (missing.Count > 0)
            {
                await broker.PushAsync(page.Where(e => missing.Contains(e.Id)).ToList());
                LogReindexed(logger, missing.Count);
            }

            _watermark = (page[^1].ReadyAt, page[^1].Id);
        }

        return Idle;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-indexed {Count} waiting jobs missing from Redis")]
    private static partial void LogReindexed(ILogger logger, int count);
}

/// <summary>Deletes ended jobs past their TTL, DLQ entries past retention, and long-gone workers.</summary>
internal sealed class ExpiredJobCleaner(PostgresJobStore store, PostgresWorkerStore workers, LeaderElection election, TimeProvider time, ILogger<ExpiredJobCleaner> logger)
    : LeaderRole(election, time, logger)
{
    private const int Batch = 5000;

    protected override TimeSpan Idle => TimeSpan.FromSeconds(5);

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var (jobs, dlq) = await store.PurgeExpiredAsync(Now, Batch, ct);
        await workers.WorkersForgetAsync(Now, ct);
        return jobs == Batch || dlq == Batch ? TimeSpan.Zero : Idle;
    }
}
