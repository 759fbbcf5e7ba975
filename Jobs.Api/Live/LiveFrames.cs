using System.Buffers;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.ServiceDefaults.Http;
using Jobs.Api.Apis;

namespace Jobs.Api.Live;

/// <summary>
/// The frames of <c>/ws</c>, in the original's shape: <c>{"type", "job_id", "job_type", "worker_id", "payload", "ts"}</c>
/// (fields that do not apply are left out, as the original's <c>omitempty</c> did). A job event's payload is
/// <c>{"job": {id, type, queue_name, priority, status, attempts, max_attempts, worker_id, error_message}, …}</c> plus
/// the event's own facts (<c>error</c>, <c>retry_at</c>, <c>duration_ms</c>, <c>wait_ms</c>). The original sent the
/// whole job, payload included; the event carries no payload or result, and a client that wants them asks
/// <c>GET /api/v1/jobs/{id}</c>. The owner never goes out.
/// </summary>
public static class LiveFrames
{
    /// <summary>One frame for <paramref name="e"/>, written once and sent as is to every client allowed to see it.</summary>
    public static byte[] ForEvent(LifecycleEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", e.Event);
            w.WriteString("job_id", e.JobId);
            w.WriteString("job_type", e.JobType);
            if (e.WorkerId is not null)
            {
                w.WriteString("worker_id", e.WorkerId);
            }

            w.WriteStartObject("payload");
            w.WriteStartObject("job");
            w.WriteString("id", e.JobId);
            w.WriteString("type", e.JobType);
            w.WriteString("queue_name", e.Queue);
            w.WriteNumber("priority", e.Priority);
            w.WriteString("status", e.Status);
            w.WriteNumber("attempts", e.Attempt);
            w.WriteNumber("max_attempts", e.MaxAttempts);
            w.WriteString("worker_id", e.WorkerId);
            w.WriteString("error_message", e.Error);
            w.WriteEndObject();
            if (e.Error is not null)
            {
                w.WriteString("error", e.Error);
            }

            e.WriteTimings(w);

            w.WriteEndObject();
            w.WriteNumber("ts", e.Ts);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"type":"stats.update","payload":{…the tenant's GET /api/v1/stats data…},"ts":…}</c>.</summary>
    public static byte[] ForStats(StatsResponse stats, long ts)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", EventNames.StatsUpdate);
            w.WritePropertyName("payload");
            JsonSerializer.Serialize(w, stats, JsonDefaults.Options);
            w.WriteNumber("ts", ts);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <c>type</c> of a frame published by someone else (a worker's heartbeat); null when it is not a JSON object with one.</summary>
    public static string? TypeOf(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
