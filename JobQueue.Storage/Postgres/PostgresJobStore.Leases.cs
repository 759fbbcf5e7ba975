using Dapper;
using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

/// <summary>The remote workers' side of the store: lease, prove a lease, extend it. Outcomes go through the same compare-and-set statements as the built-in workers'.</summary>
public sealed partial class PostgresJobStore
{
    /// <summary>Leases up to <see cref="JobsLeaseParams.Max"/> due jobs of the asked types to a remote worker, best first.</summary>
    public async Task<IReadOnlyList<LeasedJob>> JobsLeaseAsync(JobsLeaseParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<JobRow>(Cmd(JobSql.Lease, new
        {
            owner = p.Owner, worker_id = p.WorkerId, types = p.Types.ToArray(), queues = p.Queues.ToArray(), limit = p.Max, now = p.Now, lease_until = p.LeaseUntil,
        }, ct));
        return [.. rows.Select(r => new LeasedJob(r.Job, r.LeaseToken))];
    }

    /// <summary>The running attempt <paramref name="token"/> proves while its lease lasts; null when it expired or is another's.</summary>
    public async Task<LeaseHolder?> JobsLeaseHolderAsync(Guid id, string? owner, Guid token, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<LeaseHolder>(Cmd(JobSql.LeaseHolder, new { id, owner, token, now }, ct));
    }

    /// <summary>Extends the lease <paramref name="token"/> proves, recording <paramref name="progress"/> (JSON) when given; null when it expired or is another's.</summary>
    public async Task<ExtendedLease?> JobsExtendLeaseAsync(Guid id, string? owner, Guid token, DateTime now, DateTime leaseUntil, string? progress, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<ExtendedLease>(Cmd(JobSql.ExtendLease, new
        {
            id, owner, token, now, lease_until = leaseUntil, has_progress = progress is not null, progress,
        }, ct));
    }

    /// <summary>The status of the caller's job, or null when it has none by that id.</summary>
    public async Task<JobStatus?> JobsStatusOfAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var status = await conn.ExecuteScalarAsync<string?>(Cmd(JobSql.StatusOf, new { id, owner }, ct));
        return status is null ? null : JobStatusNames.Parse(status);
    }
}
