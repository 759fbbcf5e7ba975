using JobQueue.Core.Events;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// The lifecycle-event outbox (<c>job_events</c>, migration 0005). <see cref="Emit"/> builds the CTE that a state
/// change appends to its own statement: one outbox row holding the events of every job the statement changed, as
/// parallel arrays (job ids, owners, types, …), so an event exists exactly when its change committed and a batch of
/// jobs costs one small insert. Arrays rather than JSON, measured: building a JSON object per job in the statements
/// that change jobs (the hot path's bottleneck) cost about a fifth of the end-to-end throughput; <c>array_agg</c> of the
/// columns costs a few percent. The relay turns the arrays into <see cref="LifecycleEvent"/>s.
/// </summary>
internal static class EventSql
{
    /// <summary>
    /// <c>, events AS (INSERT INTO job_events … FROM <paramref name="from"/>)</c>: append after the CTE that changed the
    /// jobs. <paramref name="from"/> must expose id, owner, type, queue_name, priority, attempts, max_attempts and
    /// trace_parent. <paramref name="ts"/>, <paramref name="workerId"/> and <paramref name="retryAt"/> are one value for
    /// the statement (constants, parameters or aggregates over <paramref name="from"/>); <paramref name="millis"/> (the
    /// queue wait of job.started, the run time of the others) and <paramref name="error"/> are per job.
    /// </summary>
    public static string Emit(
        string eventName,
        string from,
        string ts,
        string? workerId = null,
        string? retryAt = null,
        string? millis = null,
        string? error = null,
        string? status = null,
        string attempt = "attempts") =>
        $"""
        , events AS (
            INSERT INTO job_events (event, status, ts, worker_id, retry_at, job_ids, owners, types, queues, priorities,
                                    attempts, max_attempts, trace_parents, millis, errors)
            SELECT '{eventName}', '{status ?? StatusAfter(eventName)}', {ts}, {workerId ?? "NULL"}, {retryAt ?? "NULL"},
                   array_agg(id), array_agg(owner), array_agg(type), array_agg(queue_name), array_agg(priority),
                   array_agg({attempt}), array_agg(max_attempts), array_agg(trace_parent),
                   {(millis is null ? "NULL" : $"array_agg({millis})")}, {(error is null ? "NULL" : $"array_agg({error})")}
            FROM {from}
            HAVING count(*) > 0)
        """;

    /// <summary>Milliseconds between two timestamptz expressions, never negative.</summary>
    public static string Elapsed(string from, string to) => $"greatest(0, extract(epoch from ({to} - {from})) * 1000)::float8";

    private static string StatusAfter(string eventName) => eventName switch
    {
        EventNames.JobEnqueued => "pending",
        EventNames.JobStarted => "running",
        EventNames.JobCompleted => "completed",
        EventNames.JobFailed => "failed",
        EventNames.JobDead => "dead",
        EventNames.JobCancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(eventName), eventName, "not a job event"),
    };

    /// <summary>
    /// The relay's step, one statement (so one transaction): take the oldest outbox rows (deleting them), create a
    /// delivery for each (event, enabled webhook of the event's tenant that wants it), idempotently, and return the
    /// rows for publishing. When no webhook is enabled the fan-out is skipped before any row is expanded. The delivery
    /// payload is the <see cref="LifecycleEvent"/> JSON (only deliveries pay for building it here). Each outcome of a
    /// run (completed, failed, dead, cancelled while running, lost to an expired lease) also becomes its row in
    /// <c>job_attempts</c> (migration 0009), here rather than in the statements that settle jobs, off the hot path.
    /// </summary>
    public static readonly string Relay =
        $"""
        WITH taken AS (
            DELETE FROM job_events
            WHERE id IN (SELECT id FROM job_events ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
            RETURNING *),
        fanout AS (
            INSERT INTO webhook_deliveries (id, webhook_id, owner, event_id, event, job_id, payload, trace_parent,
                                            status, attempts, next_attempt_at, created_at)
            SELECT gen_random_uuid(), w.id, w.owner, t.id || '.' || u.ord, t.event, u.job_id,
                   jsonb_strip_nulls(jsonb_build_object(
                       'event', t.event, 'owner', u.owner, 'job_id', u.job_id, 'job_type', u.type, 'queue', u.queue,
                       'priority', u.priority, 'status', t.status, 'attempt', u.attempt, 'max_attempts', u.max_attempts,
                       'worker_id', t.worker_id, 'ts', floor(extract(epoch from t.ts) * 1000)::bigint,
                       'retry_at', floor(extract(epoch from t.retry_at) * 1000)::bigint, 'error', u.error,
                       CASE WHEN t.event = 'job.started' THEN 'wait_ms' ELSE 'duration_ms' END, u.millis,
                       'trace_parent', u.trace_parent)),
                   u.trace_parent, 'pending', 0, @now, @now
            FROM taken t
            CROSS JOIN LATERAL unnest(t.job_ids, t.owners, t.types, t.queues, t.priorities, t.attempts, t.max_attempts,
                                      t.trace_parents, t.millis, t.errors)
                 WITH ORDINALITY AS u(job_id, owner, type, queue, priority, attempt, max_attempts, trace_parent, millis, error, ord)
            JOIN webhooks w ON w.enabled AND w.owner = u.owner AND (cardinality(w.events) = 0 OR t.event = ANY (w.events))
            WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled)
            ON CONFLICT (webhook_id, event_id) DO NOTHING
            RETURNING 1),
        attempts_recorded AS (
            INSERT INTO job_attempts (job_id, attempt, worker_id, started_at, finished_at, duration_ms, outcome, error)
            SELECT job_id, attempt, worker_id, started_at, finished_at, duration_ms, outcome, error
            FROM ({AttemptsEndedBy("taken")}) ended)
        SELECT t.id, t.event, t.status, t.ts, t.worker_id AS workerid, t.retry_at AS retryat, t.job_ids AS jobids, t.owners,
               t.types, t.queues, t.priorities, t.attempts, t.max_attempts AS maxattempts, t.trace_parents AS traceparents,
               t.millis, t.errors, (SELECT count(*) FROM fanout) AS deliveries
        FROM taken t
        ORDER BY t.id
        """;

    /// <summary>
    /// The attempts that the events of <paramref name="events"/> (<c>job_events</c> or rows taken from it) end, as
    /// <c>job_attempts</c> rows plus the event's id: what the relay records, and what the attempts read adds for
    /// events not yet relayed, so a job's list holds its last attempt as soon as its status says it ended.
    /// </summary>
    public static string AttemptsEndedBy(string events) =>
        $"""
        SELECT t.id AS event_id, u.job_id, u.attempt,
               -- The lease rescue clears the job's worker before its event is built; its error names the worker.
               COALESCE(t.worker_id, substring(u.error from '^lease expired: worker (.*) stopped heartbeating$'), 'unknown') AS worker_id,
               t.ts - make_interval(secs => u.millis / 1000) AS started_at, t.ts AS finished_at, u.millis AS duration_ms,
               CASE WHEN t.event = 'job.failed' AND t.status = 'pending' THEN 'lost' ELSE t.status END AS outcome, u.error
        FROM {events} t
        CROSS JOIN LATERAL unnest(t.job_ids, t.attempts, t.millis, t.errors) AS u(job_id, attempt, millis, error)
        -- The outcome of a run: a cancel before the job ran (no worker) ended no attempt.
        WHERE (t.event IN ('job.completed', 'job.failed', 'job.dead') OR (t.event = 'job.cancelled' AND t.worker_id IS NOT NULL))
          AND u.millis IS NOT NULL
        """;
}
