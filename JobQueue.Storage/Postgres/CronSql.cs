namespace JobQueue.Storage.Postgres;

/// <summary>
/// Every runtime statement of the cron store. Reads and writes are scoped by owner (<c>@owner</c> null: an
/// administrator, every tenant). Firing is a compare-and-set on the due tick (<see cref="Advance"/>).
/// </summary>
internal static class CronSql
{
    public const string Columns =
        """
        id, owner, name, job_type, payload::text AS payload, queue_name, priority, max_attempts, timeout_seconds,
        tags::text AS tags, cron_expression, timezone, enabled, next_run_at, last_run_at, created_at, updated_at
        """;

    public const string Insert =
        """
        INSERT INTO cron_schedules (id, owner, name, job_type, payload, queue_name, priority, max_attempts, timeout_seconds,
                                    tags, cron_expression, timezone, enabled, next_run_at, last_run_at, created_at, updated_at)
        VALUES (@Id, @Owner, @Name, @JobType, @Payload::jsonb, @QueueName, @Priority, @MaxAttempts, @TimeoutSeconds,
                @Tags::jsonb, @CronExpression, @Timezone, @Enabled, @NextRunAt, @LastRunAt, @CreatedAt, @UpdatedAt)
        """;

    public const string Get =
        "SELECT " + Columns + " FROM cron_schedules WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    // Held while a PATCH is applied, so a concurrent PATCH or firing cannot interleave (lost update).
    public const string GetForUpdate = Get + " FOR UPDATE";

    public const string List =
        "SELECT " + Columns + " FROM cron_schedules WHERE (@owner::text IS NULL OR owner = @owner) ORDER BY owner, name";

    public const string Update =
        """
        UPDATE cron_schedules
        SET name = @Name, payload = @Payload::jsonb, queue_name = @QueueName, priority = @Priority, max_attempts = @MaxAttempts,
            cron_expression = @CronExpression, timezone = @Timezone, enabled = @Enabled, next_run_at = @NextRunAt,
            updated_at = @UpdatedAt
        WHERE id = @Id
        """;

    public const string Delete =
        "DELETE FROM cron_schedules WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    // Due schedules, locked for this transaction; a second firer skips them instead of waiting, and finds them no
    // longer due once this transaction commits.
    public const string SelectDue =
        "SELECT " + Columns + " FROM cron_schedules WHERE enabled AND next_run_at <= @now ORDER BY next_run_at LIMIT @limit FOR UPDATE SKIP LOCKED";

    // The compare-and-set of firing: only the firer that saw the current tick moves it on. Zero rows for a schedule
    // means another firer took this tick (or it was disabled, changed or deleted meanwhile): no job for it.
    public const string Advance =
        """
        UPDATE cron_schedules c
        SET next_run_at = u.next, last_run_at = u.due, updated_at = @now
        FROM unnest(@ids, @dues, @nexts) AS u(id, due, next)
        WHERE c.id = u.id AND c.next_run_at = u.due AND c.enabled
        RETURNING c.id
        """;

    public const string EarliestDue = "SELECT min(next_run_at) FROM cron_schedules WHERE enabled";
}
