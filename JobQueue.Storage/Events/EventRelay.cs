using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using JobQueue.Core.Events;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Npgsql;
using StackExchange.Redis;

namespace JobQueue.Storage.Events;

/// <summary>
/// Moves committed lifecycle events out of the Postgres outbox. One pump, one statement (<see cref="EventSql.Relay"/>):
/// the oldest outbox rows are deleted and, in the same transaction, turned into webhook deliveries, so an event whose
/// change committed reaches its webhooks at least once whatever happens to Redis or to a dispatcher afterwards. Then
/// the batches go to Redis for the live consumers: XADD to the capped event stream and PUBLISH on the event channel
/// (the <c>/ws</c> fan-out of every Jobs.Api replica), plus a nudge to the dispatchers when deliveries were created.
/// The Redis half is best effort: a relay that dies between the commit and the publish costs the live view those
/// events, never a webhook. Run by one elected relay (Scheduler.Service); a second concurrent pump is still safe
/// (SKIP LOCKED), only out of order.
/// </summary>
public sealed class EventRelay(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time)
{
    /// <summary>Outbox rows per pump: a row holds the events of one statement (up to a thousand, for a batch enqueue).</summary>
    public const int RowsPerPump = 50;

    /// <summary>Batches kept in the Redis stream (approximate trim): recent history for late readers and debugging.</summary>
    public const int StreamLength = 500;

    /// <summary>Called with the batches of each pump after they left the outbox (system metrics, tests).</summary>
    public Func<IReadOnlyList<EventBatch>, Task>? OnRelayed { get; set; }

    /// <summary>
    /// Relays up to <see cref="RowsPerPump"/> outbox rows. Returns the rows taken (so the caller pumps again at once
    /// when it is <see cref="RowsPerPump"/>), the events they held and the webhook deliveries created.
    /// </summary>
    public async Task<RelayResult> PumpOnceAsync(CancellationToken ct)
    {
        List<OutboxRow> rows;
        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        {
            rows = (await conn.QueryAsync<OutboxRow>(new CommandDefinition(EventSql.Relay,
                new { limit = RowsPerPump, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct))).AsList();
        }

        if (rows.Count == 0)
        {
            return default;
        }

        var batches = new List<EventBatch>(rows.Count);
        var db = redis.GetDatabase();
        var sends = new List<Task>(rows.Count * 2 + 2);
        var events = 0;
        foreach (var row in rows)
        {
            var batch = row.ToBatch();
            events += batch.Events.Count;
            batches.Add(batch);
            var message = JsonSerializer.SerializeToUtf8Bytes(batch, EventJson.Default.EventBatch);
            sends.Add(db.StreamAddAsync(keys.EventStream, "batch", message, maxLength: StreamLength, useApproximateMaxLength: true));
            sends.Add(db.PublishAsync(keys.EventChannel, message));
        }

        var deliveries = rows[0].Deliveries;
        if (deliveries > 0)
        {
            sends.Add(db.PublishAsync(keys.WebhookWakeChannel, deliveries));
        }

        if (OnRelayed is { } hook)
        {
            sends.Add(hook(batches));
        }

        await Task.WhenAll(sends);
        return new RelayResult(rows.Count, events, deliveries);
    }

    /// <summary>An outbox row as the relay statement returns it: the events of one statement, as parallel arrays.</summary>
    private sealed class OutboxRow
    {
        public long Id { get; init; }

        public string Event { get; init; } = "";

        public string Status { get; init; } = "";

        public DateTime Ts { get; init; }

        public string? WorkerId { get; init; }

        public DateTime? RetryAt { get; init; }

        public Guid[] JobIds { get; init; } = [];

        public string[] Owners { get; init; } = [];

        public string[] Types { get; init; } = [];

        public string[] Queues { get; init; } = [];

        public short[] Priorities { get; init; } = [];

        public int[] Attempts { get; init; } = [];

        public int[] MaxAttempts { get; init; } = [];

        public string?[] TraceParents { get; init; } = [];

        public double[]? Millis { get; init; }

        public string?[]? Errors { get; init; }

        public long Deliveries { get; init; }

        public EventBatch ToBatch()
        {
            var ts = Ms(Ts);
            long? retryAt = RetryAt is { } r ? Ms(r) : null;
            var started = Event == EventNames.JobStarted;
            var events = new LifecycleEvent[JobIds.Length];
            for (var i = 0; i < events.Length; i++)
            {
                double? millis = Millis is { } m ? m[i] : null;
                events[i] = new LifecycleEvent(Event, Owners[i], JobIds[i], Types[i], Queues[i], Priorities[i], Status, Attempts[i],
                    MaxAttempts[i], WorkerId, ts, Errors?[i], retryAt, started ? null : millis, started ? millis : null, TraceParents[i]);
            }

            return new EventBatch(Id, events);
        }

        private static long Ms(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
    }
}

/// <summary>What one pump moved.</summary>
public readonly record struct RelayResult(int Rows, int Events, long Deliveries);

/// <summary>Source-generated JSON for the event types (the relay parses every event, so no reflection).</summary>
[JsonSerializable(typeof(EventBatch))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class EventJson : JsonSerializerContext;
