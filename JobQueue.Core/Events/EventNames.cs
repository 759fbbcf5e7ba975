namespace JobQueue.Core.Events;

/// <summary>
/// The lifecycle event names, as the original Go JobQueue named them (its WebSocket frame <c>type</c> and webhook
/// <c>event</c>), plus <c>job.cancelled</c>, which it never emitted.
/// </summary>
public static class EventNames
{
    public const string JobEnqueued = "job.enqueued";
    public const string JobStarted = "job.started";
    public const string JobCompleted = "job.completed";
    public const string JobFailed = "job.failed";
    public const string JobDead = "job.dead";
    public const string JobCancelled = "job.cancelled";
    public const string WorkerHeartbeat = "worker.heartbeat";
    public const string StatsUpdate = "stats.update";

    /// <summary>The events a job's state changes produce: the ones a webhook may subscribe to.</summary>
    public static readonly IReadOnlyList<string> JobEvents = [JobEnqueued, JobStarted, JobCompleted, JobFailed, JobDead, JobCancelled];

    /// <summary>Every event a <c>/ws</c> client may receive.</summary>
    public static readonly IReadOnlyList<string> All = [.. JobEvents, WorkerHeartbeat, StatsUpdate];

    /// <summary>
    /// A webhook created without <c>events</c> gets these, as the original subscribes it: its clients create webhooks
    /// without events and expect outcomes only, not a call for every enqueue and start.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultWebhookEvents = [JobCompleted, JobFailed, JobDead];

    public static bool IsJobEvent(string? name) => name is not null && JobEvents.Contains(name);
}
