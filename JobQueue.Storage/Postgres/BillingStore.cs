using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>A user's Stripe customer, if one was made.</summary>
public sealed record BillingCustomerRecord
{
    public Guid Id { get; init; }
    public string Email { get; init; } = "";
    public string? StripeCustomerId { get; init; }
}

/// <summary>What a Stripe event changes; applied with the record of the event, in one transaction.</summary>
public abstract record StripeEventEffect;

/// <summary>A paid checkout: the account gets <see cref="Tier"/> and remembers its customer and subscription.</summary>
public sealed record CheckoutPlanEffect(Guid UserId, string? CustomerId, string? SubscriptionId, string Tier) : StripeEventEffect;

/// <summary>
/// A subscription changed or ended: the account it pays for gets <see cref="Tier"/>. <see cref="Ends"/>: the
/// subscription was deleted (no later event applies to it).
/// </summary>
public sealed record SubscriptionPlanEffect(string SubscriptionId, string? CustomerId, string Tier, bool Ends = false) : StripeEventEffect;

/// <summary>
/// The outcome of <see cref="BillingStore.StripeEventApplyAsync"/>: <see cref="AlreadyApplied"/> when the event
/// id was recorded before (nothing changed now); <see cref="Stale"/> when it was recorded now but is older than what
/// its subscription already had applied (its plan changed nothing); otherwise the users whose tier was written.
/// </summary>
public sealed record StripeEventResult(bool AlreadyApplied, IReadOnlyList<Guid> ChangedUsers, bool Stale = false);

/// <summary>Stripe customers of users and the once-only application of Stripe events. SQL in <see cref="BillingSql"/>.</summary>
public sealed class BillingStore(NpgsqlDataSource dataSource)
{
    static BillingStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private static CommandDefinition Cmd(string sql, object? args, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        new(sql, args, tx, cancellationToken: ct);

    /// <summary>The user's email and Stripe customer id; null for an unknown user.</summary>
    public async Task<BillingCustomerRecord?> CustomersGetAsync(Guid userId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<BillingCustomerRecord>(Cmd(BillingSql.CustomerOfUser, new { id = userId }, ct));
    }

    /// <summary>
    /// Stores <paramref name="customerId"/> as the user's customer unless one is stored already; returns the
    /// customer the user has afterwards (null when the user no longer exists).
    /// </summary>
    public async Task<string?> CustomersSetOnceAsync(Guid userId, string customerId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<string?>(Cmd(BillingSql.SetCustomerIfUnset, new { id = userId, customer = customerId }, ct))
            ?? await conn.QuerySingleOrDefaultAsync<string?>(Cmd(BillingSql.CustomerId, new { id = userId }, ct));
    }

    /// <summary>
    /// Records the event id and applies <paramref name="effect"/> (null: nothing to change) in one transaction, so an
    /// event is applied exactly once however often Stripe delivers it: a recorded id changes nothing. A plan is
    /// written only if the event (Stripe's <paramref name="created"/>) is newer than the last one applied to its
    /// subscription (see <see cref="BillingSql.AdvanceSubscription"/>), so events arriving out of order end in the
    /// state of the newest.
    /// </summary>
    public async Task<StripeEventResult> StripeEventApplyAsync(
        string eventId, string type, DateTime created, DateTime now, StripeEventEffect? effect, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var recorded = await conn.QuerySingleOrDefaultAsync<string?>(Cmd(BillingSql.RecordEvent, new { id = eventId, type, now }, ct, tx));
        if (recorded is null)
        {
            await tx.RollbackAsync(ct);
            return new StripeEventResult(true, []);
        }

        IEnumerable<Guid> changed = [];
        var stale = false;
        switch (effect)
        {
            case CheckoutPlanEffect c:
                // The customer is the user's even when the plan is stale: the billing portal needs it.
                if (c.CustomerId is not null)
                {
                    await conn.ExecuteAsync(Cmd(BillingSql.RememberCustomer, new { user_id = c.UserId, customer = c.CustomerId }, ct, tx));
                }

                stale = c.SubscriptionId is not null && !await AdvanceAsync(conn, tx, c.SubscriptionId, eventId, created, ends: false, now, ct);
                if (!stale)
                {
                    changed = await conn.QueryAsync<Guid>(Cmd(BillingSql.SetAccountPlan,
                        new { user_id = c.UserId, tier = c.Tier, subscription = c.SubscriptionId }, ct, tx));
                }

                break;
            case SubscriptionPlanEffect s:
                stale = !await AdvanceAsync(conn, tx, s.SubscriptionId, eventId, created, s.Ends, now, ct);
                if (!stale)
                {
                    changed = await conn.QueryAsync<Guid>(Cmd(BillingSql.SetSubscriptionPlan,
                        new { subscription = s.SubscriptionId, customer = s.CustomerId, tier = s.Tier }, ct, tx));
                }

                break;
        }

        var users = changed.Distinct().ToList();
        await tx.CommitAsync(ct);
        return new StripeEventResult(false, users, stale);
    }

    /// <summary>Marks the event as the subscription's newest; false (nothing written) when a newer one was applied.</summary>
    private static async Task<bool> AdvanceAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, string subscription, string eventId, DateTime created, bool ends, DateTime now, CancellationToken ct) =>
        await conn.QuerySingleOrDefaultAsync<string?>(Cmd(BillingSql.AdvanceSubscription,
            new { subscription, event_id = eventId, created = DateTime.SpecifyKind(created, DateTimeKind.Utc), ends, now }, ct, tx)) is not null;
}
