namespace JobQueue.Storage.Postgres;

/// <summary>
/// Every runtime statement of the webhook store. Subscriptions are read and written scoped by owner (<c>@owner</c>
/// null: an administrator, every tenant). A delivery is claimed with a lease and its outcome written by a
/// compare-and-set on (status 'delivering', attempts), so a dispatcher whose lease expired cannot overwrite the
/// attempt that replaced it.
/// </summary>
internal static class WebhookSql
{
    public const string Columns =
        """
        id, owner, url, protected_secret, events, enabled, description, consecutive_failures, disabled_reason, disabled_at,
        created_at, updated_at
        """;

    public const string Insert =
        """
        INSERT INTO webhooks (id, owner, url, protected_secret, events, enabled, description, consecutive_failures, created_at, updated_at)
        VALUES (@Id, @Owner, @Url, @ProtectedSecret, @Events, @Enabled, @Description, 0, @CreatedAt, @UpdatedAt)
        """;

    public const string Get =
        "SELECT " + Columns + " FROM webhooks WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    // Held while a PATCH is applied, so two PATCHes (or a PATCH and an auto-disable) cannot interleave.
    public const string GetForUpdate = Get + " FOR UPDATE";

    public const string List =
        "SELECT " + Columns + " FROM webhooks WHERE (@owner::text IS NULL OR owner = @owner) ORDER BY created_at DESC, id DESC";

    // A new secret also clears a plain one still waiting to be re-protected, so the re-protection (a compare-and-set
    // on the plain value) cannot bring the old secret back over the new.
    public const string Update =
        """
        UPDATE webhooks
        SET url = @Url, protected_secret = @ProtectedSecret,
            secret = CASE WHEN @ProtectedSecret::text IS DISTINCT FROM protected_secret THEN NULL ELSE secret END,
            events = @Events, enabled = @Enabled, description = @Description,
            consecutive_failures = @ConsecutiveFailures, disabled_reason = @DisabledReason, disabled_at = @DisabledAt,
            updated_at = @UpdatedAt
        WHERE id = @Id
        """;

    // The only readers of the plain column (from before migration 0008): the start-up re-protection.
    public const string ListPlainSecrets =
        "SELECT id, secret FROM webhooks WHERE secret IS NOT NULL ORDER BY id LIMIT @limit";

    // Compare-and-set on the plain value read: a PATCH that set a new secret in between wins.
    public const string ProtectPlainSecret =
        "UPDATE webhooks SET protected_secret = @protectedSecret, secret = NULL WHERE id = @id AND secret = @plainSecret";

    public const string Delete =
        "DELETE FROM webhooks WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)";

    public const string InsertDelivery =
        """
        INSERT INTO webhook_deliveries (id, webhook_id, owner, event_id, event, job_id, payload, trace_parent, status, attempts, next_attempt_at, created_at)
        VALUES (@Id, @WebhookId, @Owner, @EventId, @Event, @JobId, @Payload::jsonb, @TraceParent, 'pending', 0, @NextAttemptAt, @CreatedAt)
        ON CONFLICT (webhook_id, event_id) DO NOTHING
        """;

    // Due deliveries of enabled subscriptions: pending ones whose time has come, and delivering ones whose lease
    // expired (their dispatcher died mid-delivery; the interrupted attempt counts, as a job's does). Rows locked by
    // another claimer are skipped, not waited for. The claim starts the next attempt: attempts + 1.
    public const string Claim =
        """
        WITH due AS (
            SELECT d.id
            FROM webhook_deliveries d
            JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
            WHERE (d.status = 'pending' AND d.next_attempt_at <= @now)
               OR (d.status = 'delivering' AND d.lease_until <= @now)
            ORDER BY d.next_attempt_at
            LIMIT @limit
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET status = 'delivering', lease_until = @leaseUntil, attempts = d.attempts + 1
        FROM due, webhooks w
        WHERE d.id = due.id AND w.id = d.webhook_id
        RETURNING d.id, d.webhook_id, d.owner, d.event_id, d.event, d.job_id, d.payload::text AS payload, d.trace_parent,
                  d.attempts AS attempt, w.url, w.protected_secret, w.secret AS plain_secret
        """;

    // The compare-and-set of an outcome: only the holder of this attempt's lease moves the delivery on.
    public const string Finish =
        """
        UPDATE webhook_deliveries
        SET status = @status, next_attempt_at = coalesce(@retryAt, next_attempt_at), lease_until = NULL,
            completed_at = CASE WHEN @status IN ('succeeded', 'failed') THEN @now END
        WHERE id = @id AND status = 'delivering' AND attempts = @attempt
        """;

    public const string InsertAttempt =
        """
        INSERT INTO webhook_delivery_attempts (delivery_id, webhook_id, attempt, started_at, latency_ms, status_code, error, succeeded)
        VALUES (@DeliveryId, @WebhookId, @Attempt, @StartedAt, @LatencyMs, @StatusCode, @Error, @Succeeded)
        """;

    public const string ResetFailures =
        "UPDATE webhooks SET consecutive_failures = 0 WHERE id = @id AND consecutive_failures <> 0";

    // A delivery was given up: one more in the run; at @disableAfter (0: never) the subscription is switched off.
    public const string CountGivenUp =
        """
        UPDATE webhooks
        SET consecutive_failures = consecutive_failures + 1,
            enabled = enabled AND NOT (@disableAfter > 0 AND consecutive_failures + 1 >= @disableAfter),
            disabled_reason = CASE WHEN enabled AND @disableAfter > 0 AND consecutive_failures + 1 >= @disableAfter THEN @reason ELSE disabled_reason END,
            disabled_at = CASE WHEN enabled AND @disableAfter > 0 AND consecutive_failures + 1 >= @disableAfter THEN @now ELSE disabled_at END,
            updated_at = CASE WHEN enabled AND @disableAfter > 0 AND consecutive_failures + 1 >= @disableAfter THEN @now ELSE updated_at END
        WHERE id = @id
        RETURNING coalesce(NOT enabled AND disabled_at = @now, false)
        """;

    public const string CountDeliveries =
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = @id";

    public const string ListDeliveries =
        """
        SELECT id, event_id, event, job_id, status, attempts, next_attempt_at, created_at, completed_at
        FROM webhook_deliveries
        WHERE webhook_id = @id
        ORDER BY created_at DESC, id DESC
        LIMIT @limit OFFSET @offset
        """;

    public const string ListAttempts =
        """
        SELECT delivery_id, attempt, started_at, latency_ms, status_code, error, succeeded
        FROM webhook_delivery_attempts
        WHERE delivery_id = ANY(@ids)
        ORDER BY delivery_id, id
        """;

    public const string EarliestDue =
        """
        SELECT min(t) FROM (
            SELECT min(d.next_attempt_at) AS t FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled WHERE d.status = 'pending'
            UNION ALL
            SELECT min(d.lease_until) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled WHERE d.status = 'delivering'
        ) x
        """;

    // Finished deliveries older than the retention, a batch at a time (their attempts go with them: ON DELETE CASCADE).
    // SKIP LOCKED: replicas purging at once split the work instead of queueing on each other's rows.
    public const string Purge =
        """
        DELETE FROM webhook_deliveries
        WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE status IN ('succeeded', 'failed') AND completed_at < @before
            LIMIT @limit
            FOR UPDATE SKIP LOCKED)
        """;
}
