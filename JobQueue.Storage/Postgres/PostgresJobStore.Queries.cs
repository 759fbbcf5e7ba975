using Dapper;
using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    public async Task<Job?> JobsGetAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<Job>(Cmd(JobSql.Get, new { id, owner }, ct));
    }

    /// <summary>The job's status and raw result JSON; null when the job is not the caller's.</summary>
    public async Task<(string Status, string? Result)?> JobsGetResultAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<(string, string?)?>(Cmd(JobSql.GetResult, new { id, owner }, ct));
    }

    /// <summary>One page, newest first, and the total count of matching jobs.</summary>
    public async Task<(IReadOnlyList<Job> Items, long Total)> JobsListAsync(JobListFilter f, int limit, int offset, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var args = new { owner = f.Owner, status = f.Status, type = f.Type, queue = f.Queue, tags = f.TagsJson, limit, offset };
        var rows = (await conn.QueryAsync<JobRow>(Cmd(JobSql.List, args, ct))).AsList();
        // count(*) OVER () rides on the rows; an offset past the end returns none, so count separately then.
        var total = rows.Count > 0 ? rows[0].TotalCount : await conn.ExecuteScalarAsync<long>(Cmd(JobSql.Count, args, ct));
        return (rows.Select(r => r.Job).ToList(), total);
    }

    /// <summary>Keyset page strictly after (older than) the cursor position; stable while jobs are inserted.</summary>
    public async Task<IReadOnlyList<Job>> JobsListAfterAsync(JobListFilter f, (DateTime At, Guid Id)? cursor, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<Job>(Cmd(JobSql.ListAfterCursor, new
        {
            owner = f.Owner, status = f.Status, type = f.Type, queue = f.Queue, tags = f.TagsJson, limit,
            cursor_at = cursor?.At, cursor_id = cursor?.Id ?? Guid.Empty,
        }, ct));
        return rows.AsList();
    }

    /// <summary>Deletes the caller's ended jobs (completed, dead, cancelled) that ended before <paramref name="before"/>.</summary>
    public async Task<int> JobsPurgeAsync(string? owner, DateTime before, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<int>(Cmd(JobSql.Purge, new { owner, before }, ct));
    }

    /// <summary>
    /// Every attempt of the caller's job, oldest first: the finished ones the event relay recorded, then the running
    /// one from the job row. Null when the job is not the caller's. An attempt's outcome is here as soon as the job's
    /// status shows it (from its event while the relay has not recorded it yet).
    /// </summary>
    public async Task<IReadOnlyList<JobAttempt>?> JobsAttemptsAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var job = await conn.QuerySingleOrDefaultAsync<Job>(Cmd(JobSql.Get, new { id, owner }, ct));
        if (job is null)
        {
            return null;
        }

        var attempts = (await conn.QueryAsync<JobAttempt>(Cmd(JobSql.Attempts, new { id }, ct))).AsList();
        if (job is { Status: JobStatus.Running, StartedAt: { } startedAt } && attempts.All(a => a.Attempt != job.Attempts || a.StartedAt < startedAt))
        {
            attempts.Add(new JobAttempt(job.Attempts, job.WorkerId ?? "", startedAt, null, null, JobAttempt.Running, null));
        }

        return attempts;
    }

    public async Task<JobStats> JobsStatsAsync(string? owner, DateTime now, TimeSpan workerStaleAfter, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var stats = await conn.QuerySingleAsync<JobStats>(Cmd(JobSql.Stats, new { owner, now, stale = workerStaleAfter }, ct));
        var byQueue = (await conn.QueryAsync<QueueStat>(Cmd(JobSql.QueueStats, new { owner }, ct))).ToDictionary(q => q.Queue);
        var unserved = (await conn.QueryAsync<(string Type, long Waiting, decimal Total)>(Cmd(JobSql.Unserved, new { owner, now, stale = workerStaleAfter }, ct))).AsList();
        return stats with
        {
            Queues = [.. QueueNames.All.Select(q => byQueue.GetValueOrDefault(q) ?? new QueueStat(q, 0, 0))],
            Unserved = unserved.Count == 0 ? 0 : (long)unserved[0].Total,
            UnservedTypes = [.. unserved.Select(u => new UnservedType(u.Type, u.Waiting))],
        };
    }

    private sealed class JobRow
    {
        public Guid Id { get; init; }
        public string Owner { get; init; } = "";
        public Guid? ApiKeyId { get; init; }
        public string Type { get; init; } = "";
        public string Payload { get; init; } = "{}";
        public int Priority { get; init; }
        public JobStatus Status { get; init; }
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public string QueueName { get; init; } = "";
        public DateTime ScheduledAt { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? StartedAt { get; init; }
        public DateTime? CompletedAt { get; init; }
        public string? WorkerId { get; init; }
        public DateTime? LeaseUntil { get; init; }
        public string? ErrorMessage { get; init; }
        public string? Result { get; init; }
        public int? TimeoutSeconds { get; init; }
        public int? TtlSeconds { get; init; }
        public DateTime? ExpiresAt { get; init; }
        public string Tags { get; init; } = "{}";
        public Guid? RequeuedFrom { get; init; }
        public string? TraceParent { get; init; }
        public string? Progress { get; init; }
        public long TotalCount { get; init; }
        public Guid LeaseToken { get; init; }

        public Job Job => new()
        {
            Id = Id, Owner = Owner, ApiKeyId = ApiKeyId, Type = Type, Payload = Payload, Priority = Priority, Status = Status,
            Attempts = Attempts, MaxAttempts = MaxAttempts, QueueName = QueueName, ScheduledAt = ScheduledAt, CreatedAt = CreatedAt,
            StartedAt = StartedAt, CompletedAt = CompletedAt, WorkerId = WorkerId, LeaseUntil = LeaseUntil, ErrorMessage = ErrorMessage,
            Result = Result, TimeoutSeconds = TimeoutSeconds, TtlSeconds = TtlSeconds, ExpiresAt = ExpiresAt, Tags = Tags,
            RequeuedFrom = RequeuedFrom, TraceParent = TraceParent, Progress = Progress,
        };
    }
}
