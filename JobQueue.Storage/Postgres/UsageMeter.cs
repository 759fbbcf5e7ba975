using Dapper;
using JobQueue.Core.Accounts;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>The outcome of <see cref="UsageMeter.TryConsumeAsync"/>: whether the jobs fit, and the month's count after it.</summary>
public readonly record struct UsageConsumption(bool Accepted, long Used);

/// <summary>An account's tier (the best any of its keys holds; free without keys) and its count for one month.</summary>
public sealed record AccountUsageRecord
{
    public string Tier { get; init; } = "free";
    public long JobsUsed { get; init; }
}

/// <summary>
/// Monthly job counts per account: every key and login token of a user share one counter and one limit.
/// <see cref="TryConsumeAsync"/> runs on the caller's connection and transaction, so that an enqueue which fails (or
/// is rolled back) never counts.
/// </summary>
public sealed class UsageMeter(NpgsqlDataSource dataSource)
{
    static UsageMeter() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>
    /// Adds <paramref name="n"/> to this month's count of the account only if it stays within <paramref name="limit"/>
    /// (<see cref="Tiers.Unlimited"/>: no limit), in one statement. A refused consume changes nothing and reports
    /// the current count.
    /// </summary>
    public static async Task<UsageConsumption> TryConsumeAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, long limit, int n, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var period = UsagePeriod.Of(now);
        var used = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(AccountSql.Consume,
            new { user_id = userId, period, n = (long)n, limit }, transaction, cancellationToken: ct));
        if (used is { } u)
        {
            return new UsageConsumption(true, u);
        }

        var current = await connection.ExecuteScalarAsync<long>(new CommandDefinition(AccountSql.Used,
            new { user_id = userId, period }, transaction, cancellationToken: ct));
        return new UsageConsumption(false, current);
    }

    /// <summary><see cref="TryConsumeAsync(NpgsqlConnection, NpgsqlTransaction?, Guid, long, int, DateTimeOffset, CancellationToken)"/> on a connection of its own.</summary>
    public async Task<UsageConsumption> TryConsumeAsync(Guid userId, long limit, int n, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await TryConsumeAsync(conn, null, userId, limit, n, now, ct);
    }

    /// <summary>The account's tier and its count for the month holding <paramref name="now"/> (0 when none yet); null for an unknown user.</summary>
    public async Task<AccountUsageRecord?> GetUsageAsync(Guid userId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<AccountUsageRecord>(new CommandDefinition(AccountSql.AccountUsage,
            new { user_id = userId, period = UsagePeriod.Of(now) }, cancellationToken: ct));
    }
}
