using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// Leader election for cluster-wide roles: a session-level <c>pg_try_advisory_lock</c> held on a dedicated
/// connection. The lock lives exactly as long as that connection, so a leader that dies (or loses Postgres)
/// releases it without any timeout to tune, and at most one replica holds it at a time.
/// </summary>
public sealed class LeaderLock(NpgsqlDataSource dataSource, long key) : IAsyncDisposable
{
    private NpgsqlConnection? _conn;

    /// <summary>True while this process holds the lock (checked by <see cref="TryAcquireOrKeepAsync"/>).</summary>
    public bool IsHeld => _conn is not null;

    /// <summary>
    /// Takes the lock if free, or confirms that the connection holding it is still alive. Returns whether this
    /// process is leader now. Any failure drops the connection (and so the lock).
    /// </summary>
    public async Task<bool> TryAcquireOrKeepAsync(CancellationToken ct)
    {
        try
        {
            if (_conn is not null)
            {
                await _conn.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct));
                return true;
            }

            var conn = await dataSource.OpenConnectionAsync(ct);
            var got = await conn.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key }, cancellationToken: ct));
            if (got)
            {
                _conn = conn;
                return true;
            }

            await conn.DisposeAsync();
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            await ReleaseAsync();
            return false;
        }
    }

    /// <summary>Gives the lock up (closing the connection releases it server-side even if the unlock fails).</summary>
    public async Task ReleaseAsync()
    {
        var conn = Interlocked.Exchange(ref _conn, null);
        if (conn is not null)
        {
            try
            {
                // Return the connection to the pool without the lock: a pooled connection keeps session locks.
                await conn.ExecuteAsync("SELECT pg_advisory_unlock_all()");
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                NpgsqlConnection.ClearPool(conn);
            }

            await conn.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
