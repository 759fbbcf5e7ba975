using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Core.Events;

/// <summary>
/// One lifecycle event of a job, as the outbox stores it (built in SQL, see <c>JobSql</c>) and as the Redis event
/// stream carries it. The JSON names are the wire names. Fields that do not apply to an event are null.
/// </summary>
/// <param name="Event">One of <see cref="EventNames.JobEvents"/>.</param>
/// <param name="Owner">The tenant; consumers deliver the event to this tenant only.</param>
/// <param name="JobId">The job.</param>
/// <param name="JobType">The job's type (handler name).</param>
/// <param name="Queue">critical, default or bulk.</param>
/// <param name="Priority">1–10.</param>
/// <param name="Status">The job's status after the change.</param>
/// <param name="MaxAttempts">The job's attempt budget.</param>
/// <param name="WorkerId">The worker that ran the attempt (job.started and its outcome).</param>
/// <param name="Ts">When the change happened, Unix milliseconds.</param>
/// <param name="Attempt">The attempt the event is about (0 for an enqueue).</param>
/// <param name="Error">job.failed, job.dead, job.cancelled: the error message.</param>
/// <param name="RetryAt">job.failed: when the next attempt is due (Unix ms).</param>
/// <param name="DurationMs">job.completed, job.failed, job.dead: how long the attempt ran.</param>
/// <param name="WaitMs">job.started: how long the job waited from due to start (queue wait).</param>
/// <param name="TraceParent">The W3C traceparent of the enqueue request, for the webhook delivery span.</param>
public sealed record LifecycleEvent(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("job_type")] string JobType,
    [property: JsonPropertyName("queue")] string Queue,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("max_attempts")] int MaxAttempts,
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("ts")] long Ts,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("retry_at")] long? RetryAt = null,
    [property: JsonPropertyName("duration_ms")] double? DurationMs = null,
    [property: JsonPropertyName("wait_ms")] double? WaitMs = null,
    [property: JsonPropertyName("trace_parent")] string? TraceParent = null)
{
    /// <summary>Writes the timing fields that apply (<c>retry_at</c>, <c>duration_ms</c>, <c>wait_ms</c>): shared by the webhook body and the <c>/ws</c> frame.</summary>
    public void WriteTimings(Utf8JsonWriter w)
    {
        if (RetryAt is { } retryAt)
        {
            w.WriteNumber("retry_at", retryAt);
        }

        if (DurationMs is { } duration)
        {
            w.WriteNumber("duration_ms", duration);
        }

        if (WaitMs is { } wait)
        {
            w.WriteNumber("wait_ms", wait);
        }
    }
}

/// <summary>
/// A batch of events as published on the Redis event stream (<c>{p}events</c>, field <c>batch</c>) and channel
/// (<c>{p}events</c>): the events one outbox row held. An event's id is <c>"{Id}.{index}"</c> (index from 1), the
/// same id its webhook deliveries carry, so a consumer can drop duplicates (the relay delivers at least once).
/// </summary>
public sealed record EventBatch(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("events")] IReadOnlyList<LifecycleEvent> Events)
{
    public static string EventId(long batchId, int index) => batchId + "." + index;
}
