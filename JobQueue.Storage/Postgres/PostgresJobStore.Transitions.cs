using Dapper;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Redis;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>
    /// Completes attempts in one statement. Returns the ids that were still this worker's running attempt; the
    /// others lost their lease meanwhile (rescued and maybe re-run), and their late answer is refused.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> JobsCompleteManyAsync(IReadOnlyList<JobCompletion> completions, string workerId, DateTime now, CancellationToken ct)
    {
        if (completions.Count == 0)
        {
            return [];
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var ids = await conn.QueryAsync<Guid>(Cmd(JobSql.Complete, new
        {
            ids = completions.Select(c => c.Id).ToArray(),
            attempts = completions.Select(c => c.Attempt).ToArray(),
            results = completions.Select(c => c.Result).ToArray(),
            worker_id = workerId,
            now,
            from = JobTransitions.Complete.FromWire,
        }, ct));
        return ids.AsList();
    }

    /// <summary>Records a failed attempt that will be retried; null when the lease was lost (answer refused).</summary>
    public async Task<QueueEntry?> JobsFailAsync(JobsFailParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<(string Type, string Queue, short Priority)?>(Cmd(JobSql.Fail,
            new { id = p.Id, attempt = p.Attempt, worker_id = p.WorkerId, error = Truncate(p.Error), retry_at = p.RetryAt, from = JobTransitions.Fail.FromWire }, ct));
        return row is { } r ? new QueueEntry(p.Id, r.Type, r.Queue, r.Priority, p.RetryAt) : null;
    }

    /// <summary>Marks the job dead and writes its DLQ entry atomically; returns the entry id, or null when the lease was lost.</summary>
    public async Task<Guid?> JobsKillAsync(JobsKillParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<Guid?>(Cmd(JobSql.Kill, new
        {
            id = p.Id,
            attempt = p.Attempt,
            worker_id = p.WorkerId,
            from = JobTransitions.Kill.FromWire,
            error = Truncate(p.Error),
            now = p.Now,
            dlq_id = Guid.CreateVersion7(),
            dlq_expires_at = p.DlqRetention > TimeSpan.Zero ? p.Now + p.DlqRetention : (DateTime?)null,
        }, ct));
    }

    /// <summary>Ends a running attempt as cancelled (its handler saw the token fire); false when the lease was lost.</summary>
    public async Task<bool> JobsMarkCancelledAsync(Guid id, int attempt, string workerId, DateTime now, string? error, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<Guid?>(Cmd(JobSql.MarkCancelled, new { id, attempt, worker_id = workerId, now, error, from = JobTransitions.CancelRunning.FromWire }, ct)) is not null;
    }

    /// <summary>
    /// Cancels a job for its owner: a waiting job is cancelled at once and never runs; a running job is flagged
    /// and its worker told (the caller publishes the cancel message).
    /// </summary>
    public async Task<(CancelOutcome Outcome, string? Queue)> JobsCancelAsync(Guid id, string? owner, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var queue = await conn.ExecuteScalarAsync<string?>(Cmd(JobSql.CancelWaiting, new { id, owner, now, from = JobTransitions.CancelWaiting.FromWire }, ct));
        if (queue is not null)
        {
            return (CancelOutcome.Cancelled, queue);
        }

        if (await conn.ExecuteScalarAsync<Guid?>(Cmd(JobSql.RequestCancel, new { id, owner }, ct)) is not null)
        {
            return (CancelOutcome.CancelRequested, null);
        }

        var status = await conn.ExecuteScalarAsync<string?>(Cmd(JobSql.StatusOf, new { id, owner }, ct));
        return (status is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyEnded, null);
    }

    /// <summary>Gives running attempts back on shutdown (not counted); returns what must be re-indexed.</summary>
    public async Task<IReadOnlyList<QueueEntry>> JobsHandBackAsync(IReadOnlyList<(Guid Id, int Attempt)> jobs, string workerId, DateTime now, CancellationToken ct)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<(Guid Id, string Type, string Queue, short Priority, DateTime At)>(Cmd(JobSql.HandBack,
            new { ids = jobs.Select(j => j.Id).ToArray(), attempts = jobs.Select(j => j.Attempt).ToArray(), worker_id = workerId, now, from = JobTransitions.HandBack.FromWire }, ct));
        return rows.Select(r => new QueueEntry(r.Id, r.Type, r.Queue, r.Priority, r.At)).ToList();
    }

    /// <summary>
    /// Manual retry of a failed or dead job: it starts over with a fresh set of attempts. A dead job's DLQ entry is
    /// marked requeued (pointing at this same job). Null when the job is not the caller's or not failed/dead.
    /// </summary>
    public async Task<(Job? Job, string? CurrentStatus)> JobsRetryAsync(Guid id, string? owner, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var job = await conn.QuerySingleOrDefaultAsync<Job>(Cmd(JobSql.Retry, new { id, owner, now, from = JobTransitions.Retry.FromWire }, ct, tx));
        if (job is null)
        {
            var status = await conn.ExecuteScalarAsync<string?>(Cmd(JobSql.StatusOf, new { id, owner }, ct, tx));
            return (null, status);
        }

        await conn.ExecuteAsync(Cmd(JobSql.MarkDlqRequeuedForJob, new { job_id = id, now }, ct, tx));
        await tx.CommitAsync(ct);
        return (job, job.Status.ToWire());
    }

    private static string Truncate(string s) => s.Length <= 4000 ? s : s[..4000];
}
