using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// The truth about webhook subscriptions and their deliveries: CRUD scoped by tenant; claiming due deliveries with a
/// lease (<c>FOR UPDATE SKIP LOCKED</c>, so dispatchers share the work); and recording each HTTP attempt with the
/// delivery's new state and the subscription's failure run in one transaction. All SQL is in <see cref="WebhookSql"/>.
/// </summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    static WebhookStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public async Task WebhooksInsertAsync(WebhookSubscription webhook, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(Cmd(WebhookSql.Insert, webhook, ct));
    }

    /// <summary>The subscription, or null when it does not exist or is not <paramref name="owner"/>'s (null: any owner).</summary>
    public async Task<WebhookSubscription?> WebhooksGetAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<WebhookSubscription>(Cmd(WebhookSql.Get, new { id, owner }, ct));
    }

    /// <summary>The subscriptions of <paramref name="owner"/> (null: every tenant's), newest first.</summary>
    public async Task<IReadOnlyList<WebhookSubscription>> WebhooksListAsync(string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<WebhookSubscription>(Cmd(WebhookSql.List, new { owner }, ct))).AsList();
    }

    /// <summary>Changes a subscription under a row lock: <paramref name="change"/> gets the current row and returns the new one (null: not found).</summary>
    public async Task<WebhookSubscription?> WebhooksUpdateAsync(Guid id, string? owner, Func<WebhookSubscription, WebhookSubscription> change, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = await conn.QuerySingleOrDefaultAsync<WebhookSubscription>(Cmd(WebhookSql.GetForUpdate, new { id, owner }, ct, tx));
        if (current is null)
        {
            return null;
        }

        var updated = change(current);
        await conn.ExecuteAsync(Cmd(WebhookSql.Update, updated, ct, tx));
        await tx.CommitAsync(ct);
        return updated;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> subscriptions whose secret is still plain (written before migration 0008), with
    /// that secret: for the start-up re-protection only.
    /// </summary>
    public async Task<IReadOnlyList<PlainSecret>> WebhooksListPlainSecretsAsync(int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<PlainSecret>(Cmd(WebhookSql.ListPlainSecrets, new { limit }, ct))).AsList();
    }

    /// <summary>
    /// Stores <paramref name="protectedSecret"/> and clears the plain secret, if it is still <paramref name="plainSecret"/>;
    /// false when it changed since it was read (nothing is written then).
    /// </summary>
    public async Task<bool> WebhooksProtectPlainSecretAsync(Guid id, string plainSecret, string protectedSecret, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(Cmd(WebhookSql.ProtectPlainSecret, new { id, plainSecret, protectedSecret }, ct)) == 1;
    }

    /// <summary>Deletes the subscription and its deliveries; false when it does not exist or is not <paramref name="owner"/>'s.</summary>
    public async Task<bool> WebhooksDeleteAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(Cmd(WebhookSql.Delete, new { id, owner }, ct)) == 1;
    }

    /// <summary>
    /// Adds a pending delivery, as the relay does (idempotent on (webhook, event id)); for the test endpoint and tests.
    /// False when the subscription already has that event.
    /// </summary>
    public async Task<bool> DeliveriesInsertAsync(NewDelivery delivery, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(Cmd(WebhookSql.InsertDelivery, delivery, ct)) == 1;
    }

    /// <summary>
    /// Claims up to <see cref="DeliveriesClaimParams.Limit"/> due deliveries of enabled subscriptions (pending and due,
    /// or delivering with an expired lease) and starts their next attempt under a lease until
    /// <see cref="DeliveriesClaimParams.LeaseUntil"/>.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> DeliveriesClaimAsync(DeliveriesClaimParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var args = new { now = p.Now, leaseUntil = p.LeaseUntil, limit = p.Limit };
        return (await conn.QueryAsync<ClaimedDelivery>(Cmd(WebhookSql.Claim, args, ct))).AsList();
    }

    /// <summary>
    /// Records one attempt and its outcome in one transaction: the attempt row (always: the HTTP call happened); the
    /// delivery's new state by compare-and-set on its lease (succeeded; pending until <see cref="DeliveriesRecordParams.RetryAt"/>;
    /// or failed when that is null); and the subscription's run of given-up deliveries (reset by a success; at
    /// <see cref="DeliveriesRecordParams.DisableAfter"/> the subscription is disabled).
    /// </summary>
    public async Task<DeliveryRecordResult> DeliveriesRecordAsync(DeliveriesRecordParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var status = p.Succeeded ? DeliveryStatus.Succeeded : p.RetryAt is null ? DeliveryStatus.Failed : DeliveryStatus.Pending;
        var finish = new { id = p.DeliveryId, attempt = p.Attempt, status, retryAt = p.RetryAt, now = p.Now };
        var moved = await conn.ExecuteAsync(Cmd(WebhookSql.Finish, finish, ct, tx)) == 1;
        await conn.ExecuteAsync(Cmd(WebhookSql.InsertAttempt, p, ct, tx));
        var disabled = false;
        if (!moved)
        {
            // The lease expired and another dispatcher took the delivery: its attempt decides, ours is only logged.
        }
        else if (p.Succeeded)
        {
            await conn.ExecuteAsync(Cmd(WebhookSql.ResetFailures, new { id = p.WebhookId }, ct, tx));
        }
        else if (status == DeliveryStatus.Failed)
        {
            var reason = $"disabled after {p.DisableAfter} deliveries in a row failed; last error: {p.Error}";
            var args = new { id = p.WebhookId, disableAfter = p.DisableAfter, reason, now = p.Now };
            disabled = await conn.ExecuteScalarAsync<bool>(Cmd(WebhookSql.CountGivenUp, args, ct, tx));
        }

        await tx.CommitAsync(ct);
        return new DeliveryRecordResult(moved ? status : null, disabled);
    }

    /// <summary>One page of a subscription's deliveries, newest first, each with its attempts; and the total.</summary>
    public async Task<(IReadOnlyList<DeliveryLog> Items, long Total)> DeliveriesListAsync(Guid webhookId, int limit, int offset, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var total = await conn.ExecuteScalarAsync<long>(Cmd(WebhookSql.CountDeliveries, new { id = webhookId }, ct));
        var rows = (await conn.QueryAsync<DeliveryRow>(Cmd(WebhookSql.ListDeliveries, new { id = webhookId, limit, offset }, ct))).AsList();
        var ids = rows.Select(r => r.Id).ToArray();
        var attempts = (await conn.QueryAsync<DeliveryAttempt>(Cmd(WebhookSql.ListAttempts, new { ids }, ct))).ToLookup(a => a.DeliveryId);
        return (rows.Select(r => new DeliveryLog(r.Id, r.EventId, r.Event, r.JobId, r.Status, r.Attempts, r.NextAttemptAt, r.CreatedAt, r.CompletedAt, [.. attempts[r.Id]])).ToList(), total);
    }

    /// <summary>When the next delivery of an enabled subscription is due or its lease ends (null: nothing waiting).</summary>
    public async Task<DateTime?> DeliveriesEarliestDueAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<DateTime?>(Cmd(WebhookSql.EarliestDue, null, ct));
    }

    /// <summary>Deletes up to <paramref name="limit"/> succeeded or failed deliveries finished before <paramref name="before"/>, with their attempts; returns how many.</summary>
    public async Task<int> DeliveriesPurgeAsync(DateTime before, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(Cmd(WebhookSql.Purge, new { before, limit }, ct));
    }

    private static CommandDefinition Cmd(string sql, object? args, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        new(sql, args, tx, cancellationToken: ct);

    private sealed record DeliveryRow
    {
        public Guid Id { get; init; }
        public string EventId { get; init; } = "";
        public string Event { get; init; } = "";
        public Guid? JobId { get; init; }
        public string Status { get; init; } = "";
        public int Attempts { get; init; }
        public DateTime NextAttemptAt { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
    }
}

/// <summary>The states of a delivery (<c>webhook_deliveries.status</c>).</summary>
public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivering = "delivering";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>A subscription row. <see cref="Events"/> empty: every job event.</summary>
public sealed record WebhookSubscription
{
    public Guid Id { get; init; }
    public string Owner { get; init; } = "";
    public string Url { get; init; } = "";
    /// <summary>The signing secret as the dispatcher's Data Protection protected it; never the plain secret.</summary>
    public string? ProtectedSecret { get; init; }
    public string[] Events { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public string? Description { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? DisabledReason { get; init; }
    public DateTime? DisabledAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>A subscription whose secret is still stored plain (see <see cref="WebhookStore.WebhooksListPlainSecretsAsync"/>).</summary>
public sealed record PlainSecret
{
    public Guid Id { get; init; }
    public string Secret { get; init; } = "";
}

/// <summary>A delivery to add (see <see cref="WebhookStore.DeliveriesInsertAsync"/>). <see cref="Payload"/> is the lifecycle event's JSON.</summary>
public sealed record NewDelivery(
    Guid Id, Guid WebhookId, string Owner, string EventId, string Event, Guid? JobId, string Payload, string? TraceParent, DateTime NextAttemptAt, DateTime CreatedAt);

/// <summary>Parameters of <see cref="WebhookStore.DeliveriesClaimAsync"/>.</summary>
public sealed record DeliveriesClaimParams(DateTime Now, DateTime LeaseUntil, int Limit);

/// <summary>A delivery a dispatcher holds the lease of, for attempt <see cref="Attempt"/>, with where and how to send it.</summary>
public sealed record ClaimedDelivery
{
    public Guid Id { get; init; }
    public Guid WebhookId { get; init; }
    public string Owner { get; init; } = "";
    public string EventId { get; init; } = "";
    public string Event { get; init; } = "";
    public Guid? JobId { get; init; }
    public string Payload { get; init; } = "{}";
    public string? TraceParent { get; init; }
    public int Attempt { get; init; }
    public string Url { get; init; } = "";
    public string? ProtectedSecret { get; init; }

    /// <summary>
    /// A secret still stored plain: written by an older dispatcher during a rolling upgrade, after this one re-protected
    /// the plain rows at its start. It signs this delivery (never unsigned) until the next start protects it.
    /// </summary>
    public string? PlainSecret { get; init; }
}

/// <summary>
/// Parameters of <see cref="WebhookStore.DeliveriesRecordAsync"/>: attempt <see cref="Attempt"/> of a delivery ended.
/// <see cref="StatusCode"/> null: no answer (timeout, refused, blocked address). <see cref="RetryAt"/> null on a
/// failure: give up. <see cref="DisableAfter"/>: given-up deliveries in a row that disable the subscription (0: never).
/// </summary>
public sealed record DeliveriesRecordParams(
    Guid DeliveryId, Guid WebhookId, int Attempt, DateTime StartedAt, int LatencyMs, int? StatusCode, string? Error, bool Succeeded,
    DateTime Now, DateTime? RetryAt, int DisableAfter);

/// <summary>
/// What recording did: the delivery's new status (null: the lease had been lost, nothing but the attempt was
/// written), and whether the subscription was disabled by it.
/// </summary>
public sealed record DeliveryRecordResult(string? Status, bool Disabled);

/// <summary>One HTTP attempt of a delivery.</summary>
public sealed record DeliveryAttempt
{
    public Guid DeliveryId { get; init; }
    public int Attempt { get; init; }
    public DateTime StartedAt { get; init; }
    public int LatencyMs { get; init; }
    public int? StatusCode { get; init; }
    public string? Error { get; init; }
    public bool Succeeded { get; init; }
}

/// <summary>A delivery with its attempts, oldest attempt first.</summary>
public sealed record DeliveryLog(
    Guid Id, string EventId, string Event, Guid? JobId, string Status, int Attempts, DateTime NextAttemptAt, DateTime CreatedAt,
    DateTime? CompletedAt, IReadOnlyList<DeliveryAttempt> AttemptLog);
