using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Worker.Service.Running;

/// <summary>
/// The worker's meter and activity source (both named <c>JobQueue.Worker</c>, picked up by ServiceDefaults'
/// <c>JobQueue.*</c> filters). Instruments are static: with no listener an <c>Add</c> is a field check.
/// </summary>
internal static class WorkerTelemetry
{
    public const string Name = "JobQueue.Worker";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>("jobqueue.jobs.completed", description: "Attempts that completed");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("jobqueue.jobs.failed", description: "Attempts that failed and will be retried");
    public static readonly Counter<long> Dead = Meter.CreateCounter<long>("jobqueue.jobs.dead", description: "Jobs that failed their last attempt (moved to the DLQ)");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "jobqueue.job.duration", "s", "Handler run time of one attempt", tags: null,
        // Seconds, from a no-op (sub-millisecond) to long jobs; the SDK's default buckets are meant for milliseconds.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300] });

    public static KeyValuePair<string, object?> Queue(string queue) => new("queue", queue);

    public static KeyValuePair<string, object?> Type(string type) => new("type", type);

    /// <summary>
    /// An activity for one attempt, continuing the enqueuer's trace (<c>traceparent</c> stored with the job).
    /// Null without a listener, so the hot path pays nothing when tracing is off.
    /// </summary>
    public static Activity? StartJob(Guid id, string type, string queue, int attempt, string? traceParent)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (traceParent is not null)
        {
            _ = ActivityContext.TryParse(traceParent, null, out parent);
        }

        var activity = Source.StartActivity("job " + type, ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("jobqueue.job.id", id);
            activity.SetTag("jobqueue.job.type", type);
            activity.SetTag("jobqueue.job.queue", queue);
            activity.SetTag("jobqueue.job.attempt", attempt);
        }

        return activity;
    }
}
