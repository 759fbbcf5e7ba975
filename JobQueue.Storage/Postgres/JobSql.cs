using JobQueue.Core.Events;
using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// Every runtime statement of the job store. Each state write is a compare-and-set on the expected status (and
/// attempt, for the outcome of a run): zero rows means the race was lost, and the caller says what it does then.
/// </summary>
internal static class JobSql
{
    // How long the attempt ran until <at>, for duration_ms (started_at is the attempt's start).
    private static string RanFor(string at) => EventSql.Elapsed("started_at", at);

    public const string Columns =
        """
        id, owner, api_key_id, type, payload::text AS payload, priority, status, attempts, max_attempts, queue_name,
        scheduled_at, created_at, started_at, completed_at, worker_id, lease_until, error_message, result::text AS result,
        timeout_seconds, ttl_seconds, expires_at, tags::text AS tags, requeued_from, trace_parent, progress::text AS progress
        """;

    public static readonly string Insert =
        """
        WITH inserted AS (
        INSERT INTO jobs (id, owner, api_key_id, type, payload, priority, status, attempts, max_attempts, queue_name,
                          scheduled_at, created_at, timeout_seconds, ttl_seconds, tags, requeued_from, trace_parent)
        SELECT u.id, u.owner, u.api_key_id, u.type, u.payload::jsonb, u.priority, 'pending', 0, u.max_attempts, u.queue_name,
               u.scheduled_at, u.created_at, u.timeout_seconds, u.ttl_seconds, u.tags::jsonb, u.requeued_from, u.trace_parent
        FROM unnest(@ids, @owners, @api_key_ids, @types, @payloads, @priorities, @max_attempts, @queues,
                    @scheduled, @created, @timeouts, @ttls, @tags, @requeued_from, @trace_parents)
             AS u(id, owner, api_key_id, type, payload, priority, max_attempts, queue_name,
                  scheduled_at, created_at, timeout_seconds, ttl_seconds, tags, requeued_from, trace_parent)
        RETURNING id, owner, type, queue_name, priority, status, attempts, max_attempts, created_at, trace_parent)
        """ + EventSql.Emit(EventNames.JobEnqueued, "inserted", ts: "min(created_at)") + """
        SELECT count(*) FROM inserted
        """;

    // Claim: only a job still waiting and due can start; a duplicate index entry or a cancelled job loses here.
    // The statuses are parameters here and in every statement the worker runs (@from, @running), on purpose: in the
    // worker's generic plans (PostgresSession) no partial index predicate can then be proven, so these statements can
    // only be planned on jobs_pkey, never as a scan of jobs_waiting_idx (which grows with the backlog) or of
    // jobs_running_lease_idx, whatever the statistics say.
    public static readonly string Claim =
        $"""
        WITH claimed AS (
        UPDATE jobs
        SET status = {JobTransitions.Claim.TargetSql}, attempts = attempts + 1, started_at = @now, worker_id = @worker_id,
            lease_until = @lease_until, cancel_requested = false
        WHERE id = ANY(@ids) AND status = ANY(@from) AND scheduled_at <= @now + interval '1 second'
        RETURNING id, owner, type, payload::text AS payload, status, attempts, max_attempts, queue_name, priority,
                  timeout_seconds, trace_parent, created_at, started_at, scheduled_at)
        """ + EventSql.Emit(EventNames.JobStarted, "claimed", ts: "@now", workerId: "@worker_id", millis: EventSql.Elapsed("scheduled_at", "@now")) + """
        SELECT id, owner, type, payload, attempts, max_attempts, queue_name, priority, timeout_seconds, trace_parent,
               created_at, started_at
        FROM claimed
        """;

    // The remote lease: the due waiting jobs of the asked types, best first, leased under a fresh random token. Read
    // from Postgres, never from Redis (those types are not indexed there); SKIP LOCKED lets concurrent leases take
    // different jobs. The built-in types are left out literally, as jobs_remote_waiting_idx's predicate is, so the
    // planner can use that index.
    public static readonly string Lease =
        $"""
        WITH picked AS (
            SELECT id FROM jobs
            WHERE {JobTransitions.Claim.SourcesSql()} AND type NOT IN {BuiltInJobTypes.SqlList()}
              AND type = ANY(@types) AND queue_name = ANY(@queues) AND scheduled_at <= @now
              AND (@owner::text IS NULL OR owner = @owner)
            ORDER BY priority DESC, scheduled_at, id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED),
        leased AS (
        UPDATE jobs j
        SET status = {JobTransitions.Claim.TargetSql}, attempts = j.attempts + 1, started_at = @now, worker_id = @worker_id,
            lease_until = @lease_until, cancel_requested = false, lease_token = gen_random_uuid(), progress = NULL
        FROM picked WHERE j.id = picked.id
        RETURNING j.*)
        """ + EventSql.Emit(EventNames.JobStarted, "leased", ts: "@now", workerId: "@worker_id", millis: EventSql.Elapsed("scheduled_at", "@now")) + """
        SELECT
        """ + " " + Columns + """
        , lease_token FROM leased ORDER BY priority DESC, scheduled_at, id
        """;

    /// <summary>The running attempt a remote worker's lease token proves, while its lease lasts; no row: expired or not this token.</summary>
    public const string LeaseHolder =
        """
        SELECT id, type, queue_name AS queuename, priority, attempts, max_attempts AS maxattempts, worker_id AS workerid, cancel_requested AS cancelrequested
        FROM jobs
        WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND status = 'running' AND lease_token = @token AND lease_until >= @now
        """;

    /// <summary>A remote worker's heartbeat: extends the lease it proves and records its progress (when it sent one).</summary>
    public const string ExtendLease =
        """
        UPDATE jobs SET lease_until = @lease_until, progress = CASE WHEN @has_progress THEN @progress::jsonb ELSE progress END
        WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND status = 'running' AND lease_token = @token AND lease_until >= @now
        RETURNING lease_until AS leaseuntil, cancel_requested AS cancelrequested, worker_id AS workerid
        """;

    public static readonly string Complete =
        $"""
        WITH done AS (
        UPDATE jobs j
        SET status = {JobTransitions.Complete.TargetSql}, completed_at = @now, result = u.result::jsonb, lease_until = NULL, error_message = NULL,
            expires_at = CASE WHEN j.ttl_seconds IS NULL THEN NULL ELSE @now + make_interval(secs => j.ttl_seconds) END
        FROM unnest(@ids, @attempts, @results) AS u(id, attempt, result)
        WHERE j.id = u.id AND j.status = ANY(@from) AND j.attempts = u.attempt AND j.worker_id = @worker_id
        RETURNING j.id, j.owner, j.type, j.queue_name, j.priority, j.status, j.attempts, j.max_attempts, j.started_at, j.trace_parent)
        """ + EventSql.Emit(EventNames.JobCompleted, "done", ts: "@now", workerId: "@worker_id", millis: RanFor("@now")) + """
        SELECT id FROM done
        """;

    public static readonly string Fail =
        $"""
        WITH failed AS (
        UPDATE jobs
        SET status = {JobTransitions.Fail.TargetSql}, scheduled_at = @retry_at, error_message = @error, lease_until = NULL
        WHERE id = @id AND status = ANY(@from) AND attempts = @attempt AND worker_id = @worker_id
        RETURNING id, owner, type, queue_name, priority, status, attempts, max_attempts, started_at, trace_parent)
        """ + EventSql.Emit(EventNames.JobFailed, "failed", ts: "now()", workerId: "@worker_id",
            error: "@error::text", retryAt: "@retry_at", millis: RanFor("now()")) + """
        SELECT type, queue_name, priority FROM failed
        """;

    // Dead: the attempt is settled and the DLQ entry written in one statement, so neither exists without the other.
    public static readonly string Kill =
        $"""
        WITH dead AS (
            UPDATE jobs
            SET status = {JobTransitions.Kill.TargetSql}, completed_at = @now, error_message = @error, lease_until = NULL,
                expires_at = CASE WHEN ttl_seconds IS NULL THEN NULL ELSE @now + make_interval(secs => ttl_seconds) END
            WHERE id = @id AND status = ANY(@from) AND attempts = @attempt AND (@worker_id::text IS NULL OR worker_id = @worker_id)
            RETURNING *)
        """ + EventSql.Emit(EventNames.JobDead, "dead", ts: "@now", workerId: "min(worker_id)", error: "error_message", millis: RanFor("@now")) + """
        INSERT INTO dead_letter_jobs (id, job_id, owner, api_key_id, type, payload, priority, queue_name, max_attempts,
                                      total_attempts, last_error, died_at, original_created_at, expires_at, tags)
        SELECT @dlq_id, id, owner, api_key_id, type, payload, priority, queue_name, max_attempts,
               attempts, error_message, @now, created_at, @dlq_expires_at, tags
        FROM dead
        RETURNING id
        """;

    public static readonly string MarkCancelled =
        $"""
        WITH cancelled AS (
        UPDATE jobs
        SET status = {JobTransitions.CancelRunning.TargetSql}, completed_at = @now, lease_until = NULL, error_message = COALESCE(@error, error_message),
            expires_at = CASE WHEN ttl_seconds IS NULL THEN NULL ELSE @now + make_interval(secs => ttl_seconds) END
        WHERE id = @id AND status = ANY(@from) AND attempts = @attempt AND worker_id = @worker_id
        RETURNING id, owner, type, queue_name, priority, status, attempts, max_attempts, started_at, error_message, trace_parent)
        """ + EventSql.Emit(EventNames.JobCancelled, "cancelled", ts: "@now", workerId: "@worker_id", error: "error_message", millis: RanFor("@now")) + """
        SELECT id FROM cancelled
        """;

    public static readonly string CancelWaiting =
        $"""
        WITH cancelled AS (
        UPDATE jobs
        SET status = {JobTransitions.CancelWaiting.TargetSql}, completed_at = @now, lease_until = NULL,
            expires_at = CASE WHEN ttl_seconds IS NULL THEN NULL ELSE @now + make_interval(secs => ttl_seconds) END
        WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND status = ANY(@from)
        RETURNING id, owner, type, queue_name, priority, status, attempts, max_attempts, trace_parent)
        """ + EventSql.Emit(EventNames.JobCancelled, "cancelled", ts: "@now", error: "'cancelled before it ran'::text") + """
        SELECT queue_name FROM cancelled
        """;

    public const string RequestCancel =
        """
        UPDATE jobs SET cancel_requested = true
        WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND status = 'running'
        RETURNING id
        """;

    // Hand back on shutdown: the attempt did not happen, so it is not counted.
    public static readonly string HandBack =
        $"""
        UPDATE jobs j
        SET status = {JobTransitions.HandBack.TargetSql}, attempts = j.attempts - 1, worker_id = NULL, lease_until = NULL, started_at = NULL, scheduled_at = @now
        FROM unnest(@ids, @attempts) AS u(id, attempt)
        WHERE j.id = u.id AND j.status = ANY(@from) AND j.attempts = u.attempt AND j.worker_id = @worker_id
        RETURNING j.id, j.type, j.queue_name, j.priority, j.scheduled_at
        """;

    public const string ExtendLeases =
        """
        UPDATE jobs SET lease_until = @lease_until
        WHERE id = ANY(@ids) AND status = @running AND worker_id = @worker_id
        RETURNING id, cancel_requested
        """;

    // Lease rescue, part 1: attempts left -> back to pending at once (the worker died; its attempt counts). The
    // sources are literals here, unlike the worker's statements: this scan should be planned on jobs_running_lease_idx.
    public static readonly string RescueToPending =
        $"""
        WITH expired AS (
            SELECT id FROM jobs
            WHERE {JobTransitions.Rescue.SourcesSql()} AND lease_until < @now AND attempts < max_attempts
            ORDER BY lease_until LIMIT @limit
            FOR UPDATE SKIP LOCKED),
        rescued AS (
        UPDATE jobs j
        SET status = {JobTransitions.Rescue.TargetSql}, scheduled_at = @now, lease_until = NULL,
            error_message = 'lease expired: worker ' || COALESCE(j.worker_id, '?') || ' stopped heartbeating', worker_id = NULL
        FROM expired WHERE j.id = expired.id
        RETURNING j.id, j.owner, j.type, j.queue_name, j.priority, j.status, j.attempts, j.max_attempts, j.scheduled_at,
                  j.error_message, j.started_at, j.trace_parent)
        """ + EventSql.Emit(EventNames.JobFailed, "rescued", ts: "@now", error: "error_message", retryAt: "@now", millis: RanFor("@now"), status: "pending") + """
        SELECT id, type, queue_name, priority, scheduled_at FROM rescued
        """;

    // Lease rescue, part 2: attempts spent -> the ids to kill (each through Kill, so each gets its DLQ entry).
    public static readonly string ExpiredWithoutAttempts =
        $"""
        SELECT id, attempts FROM jobs
        WHERE {JobTransitions.Kill.SourcesSql()} AND lease_until < @now AND attempts >= max_attempts
        ORDER BY lease_until LIMIT @limit
        """;

    // What the index holds: the jobs a worker may claim.
    public static readonly string WaitingPage =
        $"""
        SELECT id, type, queue_name, priority, scheduled_at FROM jobs
        WHERE {JobTransitions.Claim.SourcesSql()} AND (scheduled_at, id) > (@after_at, @after_id) AND scheduled_at <= @until
        ORDER BY scheduled_at, id
        LIMIT @limit
        """;

    public static readonly string WaitingByIds =
        $"""
        SELECT id, type, queue_name, priority, scheduled_at FROM jobs
        WHERE id = ANY(@ids) AND {JobTransitions.Claim.SourcesSql()}
        """;

    public static readonly string Retry =
        $"""
        WITH retried AS (
        UPDATE jobs
        SET status = {JobTransitions.Retry.TargetSql}, attempts = 0, scheduled_at = @now, completed_at = NULL, started_at = NULL,
            worker_id = NULL, lease_until = NULL, expires_at = NULL, cancel_requested = false
        WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND status = ANY(@from)
        RETURNING *)
        """ + EventSql.Emit(EventNames.JobEnqueued, "retried", ts: "@now") + """
        SELECT
        """ + " " + Columns + " FROM retried";

    public const string MarkDlqRequeuedForJob =
        """
        UPDATE dead_letter_jobs SET requeued = true, requeued_at = @now, new_job_id = @job_id
        WHERE job_id = @job_id AND NOT requeued
        """;

    public const string Get = "SELECT " + Columns + " FROM jobs WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    public const string GetResult =
        "SELECT status, result::text AS result FROM jobs WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    public const string StatusOf = "SELECT status FROM jobs WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    public const string ListWhere =
        """
        WHERE (@owner::text IS NULL OR owner = @owner)
          AND (@status::text IS NULL OR status = @status)
          AND (@type::text IS NULL OR type = @type)
          AND (@queue::text IS NULL OR queue_name = @queue)
          AND (@tags::jsonb IS NULL OR tags @> @tags::jsonb)
        """;

    public const string List =
        "SELECT " + Columns + ", count(*) OVER () AS total_count FROM jobs " + ListWhere +
        " ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset";

    public const string Count = "SELECT count(*) FROM jobs " + ListWhere;

    public const string ListAfterCursor =
        "SELECT " + Columns + " FROM jobs " + ListWhere +
        " AND (@cursor_at::timestamptz IS NULL OR (created_at, id) < (@cursor_at, @cursor_id)) ORDER BY created_at DESC, id DESC LIMIT @limit";

    // Both purges take the jobs' attempt history with them (job_attempts has no foreign key: see migration 0009).
    public const string Purge =
        """
        WITH gone AS (
            DELETE FROM jobs
            WHERE (@owner::text IS NULL OR owner = @owner) AND status IN ('completed', 'dead', 'cancelled')
              AND COALESCE(completed_at, created_at) < @before
            RETURNING id),
        attempts AS (DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM gone))
        SELECT count(*)::int FROM gone
        """;

    public const string PurgeExpired =
        """
        WITH gone AS (
            DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE expires_at < @now LIMIT @limit)
            RETURNING id),
        attempts AS (DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM gone))
        SELECT count(*)::int FROM gone
        """;

    /// <summary>
    /// A job's finished attempts, oldest first (the running one is the job row itself): those the relay recorded, then
    /// those whose events it has not taken yet. Without the second part a client that saw <c>completed</c> read a list
    /// without that attempt for a few milliseconds (every SDK suite tripped on it). One statement sees the relay's
    /// move of an event into <c>job_attempts</c> either before or after, never both or neither; <c>job_events</c> holds
    /// only the events of the last moments, so the scan is short.
    /// </summary>
    public static readonly string Attempts =
        $"""
        SELECT attempt, worker_id AS workerid, started_at AS startedat, finished_at AS finishedat, duration_ms AS durationms, outcome, error
        FROM (
            SELECT 0 AS relayed_later, id AS seq, attempt, worker_id, started_at, finished_at, duration_ms, outcome, error
            FROM job_attempts WHERE job_id = @id
            UNION ALL
            SELECT 1, event_id, attempt, worker_id, started_at, finished_at, duration_ms, outcome, error
            FROM ({EventSql.AttemptsEndedBy("(SELECT * FROM job_events WHERE @id = ANY (job_ids))")}) ended
            WHERE job_id = @id
        ) attempts
        ORDER BY relayed_later, seq
        """;

    /// <summary>Per queue, the caller's jobs waiting (pending, delayed, or failed and waiting for a retry) and running.</summary>
    public const string QueueStats =
        """
        SELECT queue_name AS queue,
               count(*) FILTER (WHERE status IN ('pending', 'failed')) AS depth,
               count(*) FILTER (WHERE status = 'running')              AS running
        FROM jobs
        WHERE status IN ('pending', 'failed', 'running') AND (@owner::text IS NULL OR owner = @owner)
        GROUP BY queue_name
        """;

    /// <summary>
    /// The caller's waiting jobs of types no live worker serves (for their queue and tenant), per type, most first, with
    /// the total over every type (<c>total</c>, computed before the limit). Before remote workers a built-in worker
    /// claimed such a job and failed it for want of a handler; now it waits, and this says so.
    /// </summary>
    public static readonly string Unserved =
        $"""
        SELECT type, count(*) AS waiting, sum(count(*)) OVER () AS total
        FROM jobs j
        WHERE j.status IN ('pending', 'failed') AND (@owner::text IS NULL OR j.owner = @owner) AND {WorkerSql.UnservedJob("j")}
        GROUP BY type ORDER BY waiting DESC, type LIMIT 100
        """;

    /// <summary>The caller's jobs each worker runs now, at most 20 per worker.</summary>
    public const string CurrentJobs =
        """
        SELECT worker_id AS workerid, id, type FROM (
            SELECT worker_id, id, type, row_number() OVER (PARTITION BY worker_id ORDER BY started_at) AS n
            FROM jobs
            WHERE status = 'running' AND worker_id = ANY(@worker_ids) AND (@owner::text IS NULL OR owner = @owner)) r
        WHERE n <= 20
        """;

    public const string PurgeExpiredDlq =
        """
        DELETE FROM dead_letter_jobs WHERE id IN (SELECT id FROM dead_letter_jobs WHERE expires_at < @now LIMIT @limit)
        """;

    public static readonly string Stats =
        $"""
        SELECT
            count(*)                                                   AS total_jobs,
            count(*) FILTER (WHERE status = 'pending')                 AS pending,
            count(*) FILTER (WHERE status = 'running')                 AS running,
            count(*) FILTER (WHERE status = 'completed')               AS completed,
            count(*) FILTER (WHERE status = 'failed')                  AS failed,
            count(*) FILTER (WHERE status = 'dead')                    AS dead,
            count(*) FILTER (WHERE status = 'cancelled')               AS cancelled,
            count(*) FILTER (WHERE status = 'completed' AND completed_at > @now - interval '1 minute') AS jobs_per_minute,
            (SELECT count(*) FROM dead_letter_jobs d WHERE (@owner::text IS NULL OR d.owner = @owner) AND NOT d.requeued) AS dlq_count,
            (SELECT count(*) FROM workers w WHERE {WorkerSql.Alive("w")}) AS active_workers
        FROM jobs WHERE (@owner::text IS NULL OR owner = @owner)
        """;

    public const string DlqColumns =
        """
        id, job_id, owner, api_key_id, type, payload::text AS payload, priority, queue_name, max_attempts, total_attempts,
        last_error, died_at, original_created_at, requeued, requeued_at, new_job_id, expires_at, tags::text AS tags
        """;

    public const string DlqList =
        "SELECT " + DlqColumns + ", count(*) OVER () AS total_count FROM dead_letter_jobs " +
        "WHERE (@owner::text IS NULL OR owner = @owner) AND (@include_requeued OR NOT requeued) " +
        "ORDER BY died_at DESC, id DESC LIMIT @limit OFFSET @offset";

    public const string DlqTake =
        "UPDATE dead_letter_jobs SET requeued = true, requeued_at = @now, new_job_id = @new_job_id " +
        "WHERE id = @id AND (@owner::text IS NULL OR owner = @owner) AND NOT requeued RETURNING " + DlqColumns;

    public const string DlqExists = "SELECT requeued FROM dead_letter_jobs WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";
}
