using Dapper;
using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    public async Task<(IReadOnlyList<DlqEntry> Items, long Total)> DlqListAsync(string? owner, bool includeRequeued, int limit, int offset, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<DlqRow>(Cmd(JobSql.DlqList, new { owner, include_requeued = includeRequeued, limit, offset }, ct))).AsList();
        return (rows.Select(r => r.Entry).ToList(), rows.Count > 0 ? rows[0].TotalCount : 0);
    }

    /// <summary>
    /// Requeues a DLQ entry as a fresh job linked to it (<c>requeued_from</c>), marking the entry in the same
    /// transaction so that two concurrent requeues make one job.
    /// </summary>
    public async Task<DlqRequeueResult> DlqRequeueAsync(Guid entryId, string? owner, Func<DlqEntry, Job> makeJob, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var newId = Guid.CreateVersion7();
        var row = await conn.QuerySingleOrDefaultAsync<DlqRow>(Cmd(JobSql.DlqTake, new { id = entryId, owner, now, new_job_id = newId }, ct, tx));
        if (row is null)
        {
            var requeued = await conn.ExecuteScalarAsync<bool?>(Cmd(JobSql.DlqExists, new { id = entryId, owner }, ct, tx));
            return new DlqRequeueResult(null, null, NotFound: requeued is null, AlreadyRequeued: requeued is true);
        }

        var job = makeJob(row.Entry) with { Id = newId, RequeuedFrom = entryId };
        await JobsInsertAsync([job], ct, tx);
        await tx.CommitAsync(ct);
        return new DlqRequeueResult(row.Entry with { Requeued = true, RequeuedAt = now, NewJobId = newId }, job, false, false);
    }

    private sealed class DlqRow
    {
        public Guid Id { get; init; }
        public Guid JobId { get; init; }
        public string Owner { get; init; } = "";
        public Guid? ApiKeyId { get; init; }
        public string Type { get; init; } = "";
        public string Payload { get; init; } = "{}";
        public int Priority { get; init; }
        public string QueueName { get; init; } = "";
        public int MaxAttempts { get; init; }
        public int TotalAttempts { get; init; }
        public string? LastError { get; init; }
        public DateTime DiedAt { get; init; }
        public DateTime OriginalCreatedAt { get; init; }
        public bool Requeued { get; init; }
        public DateTime? RequeuedAt { get; init; }
        public Guid? NewJobId { get; init; }
        public DateTime? ExpiresAt { get; init; }
        public string Tags { get; init; } = "{}";
        public long TotalCount { get; init; }

        public DlqEntry Entry => new()
        {
            Id = Id, JobId = JobId, Owner = Owner, ApiKeyId = ApiKeyId, Type = Type, Payload = Payload, Priority = Priority,
            QueueName = QueueName, MaxAttempts = MaxAttempts, TotalAttempts = TotalAttempts, LastError = LastError, DiedAt = DiedAt,
            OriginalCreatedAt = OriginalCreatedAt, Requeued = Requeued, RequeuedAt = RequeuedAt, NewJobId = NewJobId,
            ExpiresAt = ExpiresAt, Tags = Tags,
        };
    }
}
