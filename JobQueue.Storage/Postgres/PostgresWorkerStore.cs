using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>A worker process as <c>GET /api/v1/workers</c> shows it.</summary>
public sealed record WorkerInfo
{
    public string Id { get; init; } = "";
    public string Host { get; init; } = "";
    public int Pid { get; init; }
    public string Status { get; init; } = "active";
    public string[] Queues { get; init; } = [];
    public int Concurrency { get; init; }
    public int Running { get; init; }
    public long JobsProcessed { get; init; }
    public long JobsFailed { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime LastSeen { get; init; }
    /// <summary>The caller's jobs this worker runs now (at most 20); another tenant's are never shown.</summary>
    public IReadOnlyList<CurrentJob> CurrentJobs { get; init; } = [];
}

/// <summary>A job a worker is running, as <see cref="WorkerInfo.CurrentJobs"/> lists it.</summary>
public sealed record CurrentJob(Guid Id, string Type);

/// <summary>The worker registry: each worker upserts itself on start and on every heartbeat.</summary>
public sealed class PostgresWorkerStore(NpgsqlDataSource dataSource)
{
    private const string Upsert =
        """
        INSERT INTO workers (id, host, pid, status, queues, concurrency, running, jobs_processed, jobs_failed, started_at, last_seen)
        VALUES (@id, @host, @pid, @status, @queues, @concurrency, @running, @jobs_processed, @jobs_failed, @started_at, @last_seen)
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, running = EXCLUDED.running,
            jobs_processed = EXCLUDED.jobs_processed, jobs_failed = EXCLUDED.jobs_failed, last_seen = EXCLUDED.last_seen
        """;

    private const string List =
        """
        SELECT id, host, pid, CASE WHEN status = 'active' AND last_seen < @now - @stale THEN 'stale' ELSE status END AS status,
               queues, concurrency, running, jobs_processed, jobs_failed, started_at, last_seen
        FROM workers
        WHERE NOT @active_only OR (status = 'active' AND last_seen >= @now - @stale)
        ORDER BY started_at DESC
        """;

    private const string Forget = "DELETE FROM workers WHERE status = 'stopped' AND last_seen < @before OR last_seen < @stale_before";

    public async Task WorkersUpsertAsync(WorkerInfo w, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(Upsert, new
        {
            id = w.Id, host = w.Host, pid = w.Pid, status = w.Status, queues = w.Queues, concurrency = w.Concurrency,
            running = w.Running, jobs_processed = w.JobsProcessed, jobs_failed = w.JobsFailed, started_at = w.StartedAt, last_seen = w.LastSeen,
        }, cancellationToken: ct));
    }

    /// <summary>
    /// Workers, newest first; a worker silent for longer than <paramref name="staleAfter"/> is not active. Each with the
    /// jobs of <paramref name="owner"/> (null: every tenant's) it is running now.
    /// </summary>
    public async Task<IReadOnlyList<WorkerInfo>> WorkersListAsync(string? owner, bool activeOnly, DateTime now, TimeSpan staleAfter, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var workers = (await conn.QueryAsync<WorkerInfo>(new CommandDefinition(List, new { active_only = activeOnly, now, stale = staleAfter }, cancellationToken: ct))).AsList();
        if (workers.Count == 0)
        {
            return workers;
        }

        var running = (await conn.QueryAsync<(string WorkerId, Guid Id, string Type)>(new CommandDefinition(JobSql.CurrentJobs,
            new { worker_ids = workers.Select(w => w.Id).ToArray(), owner }, cancellationToken: ct))).ToLookup(r => r.WorkerId);
        return [.. workers.Select(w => w with { CurrentJobs = [.. running[w.Id].Select(r => new CurrentJob(r.Id, r.Type))] })];
    }

    /// <summary>Drops registry rows of workers stopped or silent for a day.</summary>
    public async Task<int> WorkersForgetAsync(DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(new CommandDefinition(Forget, new { before = now.AddDays(-1), stale_before = now.AddDays(-1) }, cancellationToken: ct));
    }
}
