using JobQueue.Core.Events;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// The lifecycle-event outbox (<c>job_events</c>, migration 0005). <see cref="Emit"/> builds the CTE that a state
/// change appends to its own statement: one outbox row holding the events of every job the statement changed, so an
/// event exists exactly when its change committed, and a batch of jobs costs one small insert. The JSON is a
/// <see cref="LifecycleEvent"/>.
/// </summary>
internal static class EventSql
{
    /// <summary>
    /// <c>, events AS (INSERT INTO job_events … FROM <paramref name="from"/>)</c>: append after the CTE that changed the
    /// jobs. <paramref name="from"/> must expose owner, id, type, queue_name, priority, status, attempts and max_attempts;
    /// the other fields are SQL expressions over it (use <c>NULL</c> where a field does not apply).
    /// </summary>
    public static string Emit(
        string eventName,
        string from,
        string ts,
        string workerId = "NULL",
        string error = "NULL",
        string retryAt = "NULL",
        string durationMs = "NULL",
        string waitMs = "NULL",
        string attempt = "attempts") =>
        $"""
        , events AS (
            INSERT INTO job_events (events)
            SELECT jsonb_agg(jsonb_build_object(
                'event', '{eventName}', 'owner', owner, 'job_id', id, 'job_type', type, 'queue', queue_name,
                'priority', priority, 'status', status, 'attempt', {attempt}, 'max_attempts', max_attempts,
                'worker_id', {workerId}, 'ts', {ts}, 'error', {error}, 'retry_at', {retryAt},
                'duration_ms', {durationMs}, 'wait_ms', {waitMs}, 'trace_parent', trace_parent))
            FROM {from}
            HAVING count(*) > 0)
        """;

    /// <summary>Unix milliseconds of a timestamptz expression.</summary>
    public static string Ms(string timestamp) => $"(extract(epoch from {timestamp}) * 1000)::bigint";

    /// <summary>Milliseconds between two timestamptz expressions, never negative (null when <paramref name="from"/> is null).</summary>
    public static string Elapsed(string from, string to) => $"round(greatest(0, extract(epoch from ({to} - {from})) * 1000)::numeric, 3)";

    /// <summary>
    /// The relay's step, one statement (so one transaction): take the oldest outbox rows (deleting them), create a
    /// delivery for each (event, enabled webhook of the event's tenant that wants it), idempotently, and return the
    /// rows for publishing. When no webhook is enabled the fan-out is skipped before any event is expanded.
    /// </summary>
    public const string Relay =
        """
        WITH taken AS (
            DELETE FROM job_events
            WHERE id IN (SELECT id FROM job_events ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
            RETURNING id, events),
        fanout AS (
            INSERT INTO webhook_deliveries (id, webhook_id, owner, event_id, event, job_id, payload, trace_parent,
                                            status, attempts, next_attempt_at, created_at)
            SELECT gen_random_uuid(), w.id, w.owner, t.id || '.' || e.ord, e.ev->>'event', (e.ev->>'job_id')::uuid, e.ev,
                   e.ev->>'trace_parent', 'pending', 0, @now, @now
            FROM taken t
            CROSS JOIN LATERAL jsonb_array_elements(t.events) WITH ORDINALITY AS e(ev, ord)
            JOIN webhooks w ON w.enabled AND w.owner = e.ev->>'owner'
                           AND (cardinality(w.events) = 0 OR e.ev->>'event' = ANY (w.events))
            WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled)
            ON CONFLICT (webhook_id, event_id) DO NOTHING
            RETURNING 1)
        SELECT t.id, t.events::text AS events, (SELECT count(*) FROM fanout) AS deliveries
        FROM taken t
        ORDER BY t.id
        """;
}
