using JobQueue.Core.Cron;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Enqueues the jobs of due cron schedules. Each tick fires exactly once across any number of scheduler replicas,
/// even if two briefly both believe they lead: the store advances the due tick with a compare-and-set and inserts
/// the job in the same transaction (<see cref="PostgresCronStore.CronFireDueAsync"/>), so a second firer for the
/// same tick moves nothing and inserts nothing. After the commit the jobs are indexed in Redis; if that fails they
/// are committed anyway and the <see cref="StaleIndexSweeper"/> indexes them.
/// </summary>
/// <remarks>
/// Missed runs (scheduler down, schedule due long ago) fire once: the next tick is the first occurrence after now,
/// not one per tick missed. Between ticks it sleeps until the earliest due schedule, at most
/// <see cref="SchedulerOptions.CronMaxSleep"/> (1 s), so a schedule created or changed meanwhile is seen in time.
/// </remarks>
internal sealed class CronFirer(PostgresCronStore store, RedisBroker broker, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<CronFirer> logger)
    : LeaderRole(election, options, time, logger)
{
    private const int Batch = 500;

    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        // Postgres keeps microseconds: the job rows then read back exactly as built.
        var now = new DateTime(Now.Ticks - (Now.Ticks % 10), DateTimeKind.Utc);
        var fired = await store.CronFireDueAsync(new CronFireDueParams(now, Batch, s => Plan(s, now)), ct);
        if (fired.Count > 0)
        {
            SchedulerMetrics.CronFired.Add(fired.Count);
            logger.CronFired(fired.Count);
            await broker.PushAsync(fired.Select(j => new QueueEntry(j.Id, j.Type, j.QueueName, j.Priority, j.ScheduledAt)).ToList());
        }

        if (fired.Count >= Batch)
        {
            return TimeSpan.Zero;
        }

        var max = Options.CronMaxSleep;
        var earliest = await store.CronEarliestDueAsync(ct);
        if (earliest is null)
        {
            return max;
        }

        var until = earliest.Value - Time.GetUtcNow().UtcDateTime;
        return until <= TimeSpan.Zero ? TimeSpan.Zero : until < max ? until : max;
    }

    private CronFiring? Plan(CronSchedule schedule, DateTime now)
    {
        try
        {
            var (due, next, job) = schedule.FireAt(now);
            return new CronFiring(schedule.Id, due, next, job);
        }
        catch (Exception ex) when (ex is FormatException or TimeZoneNotFoundException or InvalidOperationException)
        {
            // Validated when written, so only a change of this machine's tz database gets here: skip, keep the rest firing.
            logger.CronUnplannable(schedule.Id, schedule.Name, ex.Message);
            return null;
        }
    }
}
