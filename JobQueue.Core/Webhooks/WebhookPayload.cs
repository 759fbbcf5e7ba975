using System.Text.Json;
using JobQueue.Core.Events;

namespace JobQueue.Core.Webhooks;

/// <summary>
/// The body of a webhook delivery: the original's fields first (<c>event</c>, <c>job_id</c>, <c>job_type</c>,
/// <c>timestamp</c> in Unix ms, <c>error</c> when there is one), then this project's (<c>queue</c>, <c>priority</c>,
/// <c>status</c>, <c>attempt</c>, <c>max_attempts</c>, and <c>worker_id</c>, <c>retry_at</c>, <c>duration_ms</c>,
/// <c>wait_ms</c> when they apply). Never the owner: the receiver knows whose subscription it is.
/// </summary>
public static class WebhookPayload
{
    public static byte[] Build(LifecycleEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("event", e.Event);
            w.WriteString("job_id", e.JobId);
            w.WriteString("job_type", e.JobType);
            w.WriteNumber("timestamp", e.Ts);
            if (e.Error is not null)
            {
                w.WriteString("error", e.Error);
            }

            w.WriteString("queue", e.Queue);
            w.WriteNumber("priority", e.Priority);
            w.WriteString("status", e.Status);
            w.WriteNumber("attempt", e.Attempt);
            w.WriteNumber("max_attempts", e.MaxAttempts);
            if (e.WorkerId is not null)
            {
                w.WriteString("worker_id", e.WorkerId);
            }

            e.WriteTimings(w);

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
