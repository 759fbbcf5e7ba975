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

/// <summary>A subscription changed or ended: the account it pays for gets <see cref="Tier"/>.</summary>
public sealed record SubscriptionPlanEffect(string SubscriptionId, string? CustomerId, string Tier) : StripeEventEffect;

/// <summary>
/// The outcome of <see cref="BillingStore.StripeEventApplyAsync"/>: <see cref="AlreadyApplied"/> when the event
/// id was recorded before (nothing changed now); otherwise the users whose tier was written.
/// </summary>
public sealed record StripeEventResult(bool AlreadyApplied, IReadOnlyList<Guid> ChangedUsers);

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
    /// event is applied exactly once however often Stripe delivers it: a recorded id changes nothing.
    /// </summary>
    public async Task<StripeEventResult> StripeEventApplyAsync(string eventId, string type, DateTime now, StripeEventEffect? effect, CancellationToken ct)
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
        switch (effect)
        {
            case CheckoutPlanEffect c:
                if (c.CustomerId is not null)
                {
                    await conn.ExecuteAsync(Cmd(BillingSql.RememberCustomer, new { user_id = c.UserId, customer = c.CustomerId }, ct, tx));
                }

                changed = await conn.QueryAsync<Guid>(Cmd(BillingSql.SetAccountPlan,
                    new { user_id = c.UserId, tier = c.Tier, subscription = c.SubscriptionId }, ct, tx));
                break;
            case SubscriptionPlanEffect s:
                changed = await conn.QueryAsync<Guid>(Cmd(BillingSql.SetSubscriptionPlan,
                    new { subscription = s.SubscriptionId, customer = s.CustomerId, tier = s.Tier }, ct, tx));
                break;
        }

        var users = changed.Distinct().ToList();
        await tx.CommitAsync(ct);
        return new StripeEventResult(false, users);
    }
}
