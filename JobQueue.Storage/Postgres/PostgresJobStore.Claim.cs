using Dapper;
using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>Passed as a parameter rather than written in the SQL: see the note on <see cref="JobSql.Claim"/>.</summary>
    private static readonly string RunningStatus = JobStatus.Running.ToWire();

    /// <summary>
    /// Starts an attempt of each job that is still waiting and due, in one statement. Ids not returned lost the
    /// race (cancelled, already claimed through a duplicate index entry, or no longer due) and must not run.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedJob>> JobsClaimAsync(JobsClaimParams p, CancellationToken ct)
    {
        if (p.Ids.Count == 0)
        {
            return [];
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<ClaimedJob>(Cmd(JobSql.Claim,
            new { ids = p.Ids.ToArray(), from = JobTransitions.Claim.FromWire, now = p.Now, worker_id = p.WorkerId, lease_until = p.LeaseUntil }, ct));
        return rows.AsList();
    }

    /// <summary>Extends the leases of running jobs this worker still holds; returns which of them were asked to cancel.</summary>
    public async Task<IReadOnlyList<(Guid Id, bool CancelRequested)>> JobsExtendLeasesAsync(IReadOnlyCollection<Guid> ids, string workerId, DateTime leaseUntil, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid, bool)>(Cmd(JobSql.ExtendLeases, new { ids = ids.ToArray(), worker_id = workerId, lease_until = leaseUntil, running = RunningStatus }, ct));
        return rows.AsList();
    }
}
