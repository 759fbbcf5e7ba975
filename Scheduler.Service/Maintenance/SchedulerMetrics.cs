using System.Diagnostics.Metrics;

namespace Scheduler.Service.Maintenance;

/// <summary>The scheduler's own counters (exported on <c>/metrics</c> through the <c>JobQueue.*</c> meter filter).</summary>
internal static class SchedulerMetrics
{
    public static readonly Meter Meter = new("JobQueue.Scheduler");

    public static readonly Counter<long> Promoted =
        Meter.CreateCounter<long>("jobqueue.scheduler.jobs_promoted", unit: "{job}", description: "Delayed or retrying jobs moved to their ready queue");

    public static readonly Counter<long> LeasesRescued =
        Meter.CreateCounter<long>("jobqueue.scheduler.leases_rescued", unit: "{job}", description: "Running jobs whose lease expired: put back, or killed on their last attempt");

    public static readonly Counter<long> IndexRebuilds =
        Meter.CreateCounter<long>("jobqueue.scheduler.index_rebuilds", unit: "{rebuild}", description: "Rebuilds of the Redis index from Postgres");

    public static readonly Counter<long> EventsRelayed =
        Meter.CreateCounter<long>("jobqueue.scheduler.events_relayed", unit: "{event}", description: "Lifecycle events moved from the outbox to webhooks and the event stream");

    public static readonly Counter<long> CronFired =
        Meter.CreateCounter<long>("jobqueue.scheduler.cron_fired", unit: "{job}", description: "Jobs enqueued by cron schedules");
}
