using Dapper;
using JobQueue.Core.Accounts;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>The outcome of <see cref="UsageMeter.TryConsumeAsync"/>: whether the jobs fit, and the month's count after it.</summary>
public readonly record struct UsageConsumption(bool Accepted, long Used);

/// <summary>
/// Monthly job counts per API key. <see cref="TryConsumeAsync"/> runs on the caller's connection and transaction,
/// so that an enqueue which fails (or is rolled back) never counts.
/// </summary>
public sealed class UsageMeter(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Adds <paramref name="n"/> to this month's count of the key only if it stays within <paramref name="limit"/>
    /// (<see cref="Tiers.Unlimited"/>: no limit), in one statement. A refused consume changes nothing and reports
    /// the current count.
    /// </summary>
    public static async Task<UsageConsumption> TryConsumeAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid apiKeyId, long limit, int n, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var period = UsagePeriod.Of(now);
        var used = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(AccountSql.Consume,
            new { api_key_id = apiKeyId, period, n = (long)n, limit }, transaction, cancellationToken: ct));
        if (used is { } u)
        {
            return new UsageConsumption(true, u);
        }

        var current = await connection.ExecuteScalarAsync<long>(new CommandDefinition(AccountSql.Used,
            new { api_key_id = apiKeyId, period }, transaction, cancellationToken: ct));
        return new UsageConsumption(false, current);
    }

    /// <summary><see cref="TryConsumeAsync(NpgsqlConnection, NpgsqlTransaction?, Guid, long, int, DateTimeOffset, CancellationToken)"/> on a connection of its own.</summary>
    public async Task<UsageConsumption> TryConsumeAsync(Guid apiKeyId, long limit, int n, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await TryConsumeAsync(conn, null, apiKeyId, limit, n, now, ct);
    }

    /// <summary>Jobs counted for the key in the month holding <paramref name="now"/> (0 when none yet).</summary>
    public async Task<long> GetUsageAsync(Guid apiKeyId, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<long>(new CommandDefinition(AccountSql.Used,
            new { api_key_id = apiKeyId, period = UsagePeriod.Of(now) }, cancellationToken: ct));
    }
}
