using Dapper;
using JobQueue.Storage.Redis;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>Waiting jobs (pending or failed) due by <paramref name="until"/>, in (scheduled_at, id) order after a position.</summary>
    public async Task<IReadOnlyList<QueueEntry>> JobsWaitingPageAsync((DateTime At, Guid Id) after, DateTime until, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Type, string Queue, short Priority, DateTime At)>(Cmd(JobSql.WaitingPage,
            new { after_at = after.At, after_id = after.Id, until, limit }, ct));
        return rows.Select(r => new QueueEntry(r.Id, r.Type, r.Queue, r.Priority, r.At)).ToList();
    }

    /// <summary>Of these ids, the jobs that are still waiting, with what the index needs.</summary>
    public async Task<IReadOnlyList<QueueEntry>> JobsWaitingByIdsAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Type, string Queue, short Priority, DateTime At)>(Cmd(JobSql.WaitingByIds, new { ids = ids.ToArray() }, ct));
        return rows.Select(r => new QueueEntry(r.Id, r.Type, r.Queue, r.Priority, r.At)).ToList();
    }

    /// <summary>Running jobs whose lease expired and that have attempts left go back to pending; returns them for re-indexing.</summary>
    public async Task<IReadOnlyList<QueueEntry>> JobsRescueExpiredAsync(DateTime now, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Type, string Queue, short Priority, DateTime At)>(Cmd(JobSql.RescueToPending, new { now, limit }, ct));
        return rows.Select(r => new QueueEntry(r.Id, r.Type, r.Queue, r.Priority, r.At)).ToList();
    }

    /// <summary>Running jobs whose lease expired on their last attempt (to be killed into the DLQ).</summary>
    public async Task<IReadOnlyList<(Guid Id, int Attempt)>> JobsExpiredOnLastAttemptAsync(DateTime now, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid, int)>(Cmd(JobSql.ExpiredWithoutAttempts, new { now, limit }, ct));
        return rows.AsList();
    }

    /// <summary>Deletes ended jobs whose TTL ran out and DLQ entries past retention; returns (jobs, entries) deleted.</summary>
    public async Task<(int Jobs, int DlqEntries)> PurgeExpiredAsync(DateTime now, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var jobs = await conn.ExecuteScalarAsync<int>(Cmd(JobSql.PurgeExpired, new { now, limit }, ct));
        var dlq = await conn.ExecuteAsync(Cmd(JobSql.PurgeExpiredDlq, new { now, limit }, ct));
        return (jobs, dlq);
    }
}
