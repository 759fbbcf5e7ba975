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
    /// <summary>The job types it runs: the built-in ones, or those a remote worker named in its last lease.</summary>
    public string[] Types { get; init; } = [];
    /// <summary><c>built-in</c> (a Worker.Service process) or <c>remote</c> (any process on the HTTP lease protocol).</summary>
    public string Kind { get; init; } = WorkerKinds.BuiltIn;
    public int Concurrency { get; init; }
    public int Running { get; init; }
    public long JobsProcessed { get; init; }
    public long JobsFailed { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime LastSeen { get; init; }
    /// <summary>The caller's jobs this worker runs now (at most 20); another tenant's are never shown.</summary>
    public IReadOnlyList<CurrentJob> CurrentJobs { get; init; } = [];
}

public static class WorkerKinds
{
    public const string BuiltIn = "built-in";
    public const string Remote = "remote";
}

/// <summary>What a remote worker says of itself when it leases: its id, what it serves and how many jobs at once.</summary>
public sealed record RemoteWorkerLease(string Id, string? Owner, string Host, string[] Queues, string[] Types, int Concurrency, DateTime Now, DateTime AliveUntil);

/// <summary>SQL fragments about workers that the job statements share.</summary>
internal static class WorkerSql
{
    /// <summary>
    /// A live worker: active, and heard from recently: a built-in one within the stale window (<c>@stale</c>, three
    /// heartbeats), a remote one until its <c>alive_until</c> (it long-polls, so it may be silent for a whole poll).
    /// </summary>
    public static string Alive(string w) => $"{w}.status = 'active' AND COALESCE({w}.alive_until, {w}.last_seen + @stale) >= @now";

    /// <summary>No live worker serves the type of job <paramref name="j"/> in its queue for its tenant.</summary>
    public static string UnservedJob(string j) =>
        $"NOT EXISTS (SELECT 1 FROM workers sw WHERE {Alive("sw")} AND {j}.type = ANY(sw.types) AND {j}.queue_name = ANY(sw.queues) AND (sw.owner IS NULL OR sw.owner = {j}.owner))";
}

/// <summary>A job a worker is running, as <see cref="WorkerInfo.CurrentJobs"/> lists it.</summary>
public sealed record CurrentJob(Guid Id, string Type);

/// <summary>The worker registry: each worker upserts itself on start and on every heartbeat.</summary>
public sealed class PostgresWorkerStore(NpgsqlDataSource dataSource)
{
    private const string Upsert =
        """
        INSERT INTO workers (id, host, pid, status, queues, types, concurrency, running, jobs_processed, jobs_failed, started_at, last_seen)
        VALUES (@id, @host, @pid, @status, @queues, @types, @concurrency, @running, @jobs_processed, @jobs_failed, @started_at, @last_seen)
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, running = EXCLUDED.running, types = EXCLUDED.types,
            jobs_processed = EXCLUDED.jobs_processed, jobs_failed = EXCLUDED.jobs_failed, last_seen = EXCLUDED.last_seen
        """;

    // A remote worker registers itself with every lease. Its id is its own within its tenant: a built-in worker's row
    // is never taken over, nor another tenant's worker while it lives (no row comes back). A dead one's id (stopped, or
    // silent past its alive_until, with no job still running under it) passes to the tenant that leases with it next,
    // starting afresh: ids are global, and "worker-1" once used by one tenant must not be refused to every other forever.
    private const string UpsertRemote =
        """
        INSERT INTO workers (id, host, pid, status, queues, types, concurrency, running, started_at, last_seen, kind, owner, alive_until)
        VALUES (@id, @host, 0, 'active', @queues, @types, @concurrency, 0, @now, @now, 'remote', @owner, @alive_until)
        ON CONFLICT (id) DO UPDATE SET status = 'active', host = EXCLUDED.host, queues = EXCLUDED.queues, types = EXCLUDED.types,
            concurrency = EXCLUDED.concurrency, last_seen = EXCLUDED.last_seen, owner = EXCLUDED.owner,
            started_at = CASE WHEN workers.status = 'stopped' OR workers.owner IS DISTINCT FROM EXCLUDED.owner THEN EXCLUDED.started_at ELSE workers.started_at END,
            alive_until = CASE WHEN workers.owner IS DISTINCT FROM EXCLUDED.owner THEN EXCLUDED.alive_until ELSE GREATEST(workers.alive_until, EXCLUDED.alive_until) END,
            jobs_processed = CASE WHEN workers.owner IS DISTINCT FROM EXCLUDED.owner THEN 0 ELSE workers.jobs_processed END,
            jobs_failed = CASE WHEN workers.owner IS DISTINCT FROM EXCLUDED.owner THEN 0 ELSE workers.jobs_failed END,
            running = (SELECT count(*) FROM jobs WHERE status = 'running' AND worker_id = EXCLUDED.id)
        WHERE workers.kind = 'remote'
          AND (workers.owner IS NOT DISTINCT FROM EXCLUDED.owner
               OR ((workers.status = 'stopped' OR workers.alive_until < EXCLUDED.last_seen)
                   AND NOT EXISTS (SELECT 1 FROM jobs WHERE status = 'running' AND worker_id = workers.id)))
        RETURNING id
        """;

    // A remote worker's heartbeat or outcome: it is alive, and (for an outcome) one more job processed.
    private const string TouchRemote =
        """
        UPDATE workers SET last_seen = @now, alive_until = GREATEST(alive_until, @alive_until),
            jobs_processed = jobs_processed + @processed, jobs_failed = jobs_failed + @failed
        WHERE id = @id AND kind = 'remote'
        """;

    private const string StopRemote =
        """
        UPDATE workers SET status = 'stopped', last_seen = @now
        WHERE id = @id AND kind = 'remote' AND (@owner::text IS NULL OR owner = @owner)
        RETURNING id
        """;

    // Built-in workers and the admin key's remote ones serve every tenant, so every tenant sees them; a tenant's
    // remote workers are its own.
    private static readonly string List =
        $"""
        SELECT id, host, pid, CASE WHEN status = 'active' AND NOT ({WorkerSql.Alive("w")}) THEN 'stale' ELSE status END AS status,
               queues, types, kind, concurrency, running, jobs_processed, jobs_failed, started_at, last_seen
        FROM workers w
        WHERE (NOT @active_only OR ({WorkerSql.Alive("w")}))
          AND (@owner::text IS NULL OR w.owner IS NULL OR w.owner = @owner)
        ORDER BY started_at DESC
        """;

    private const string Forget = "DELETE FROM workers WHERE status = 'stopped' AND last_seen < @before OR last_seen < @stale_before";

    public async Task WorkersUpsertAsync(WorkerInfo w, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(Upsert, new
        {
            id = w.Id, host = w.Host, pid = w.Pid, status = w.Status, queues = w.Queues, types = w.Types, concurrency = w.Concurrency,
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
        var workers = (await conn.QueryAsync<WorkerInfo>(new CommandDefinition(List, new { active_only = activeOnly, now, stale = staleAfter, owner }, cancellationToken: ct))).AsList();
        if (workers.Count == 0)
        {
            return workers;
        }

        var running = (await conn.QueryAsync<(string WorkerId, Guid Id, string Type)>(new CommandDefinition(JobSql.CurrentJobs,
            new { worker_ids = workers.Select(w => w.Id).ToArray(), owner }, cancellationToken: ct))).ToLookup(r => r.WorkerId);
        return [.. workers.Select(w => w with { CurrentJobs = [.. running[w.Id].Select(r => new CurrentJob(r.Id, r.Type))] })];
    }

    /// <summary>Registers (or refreshes) a remote worker; false when the id is a built-in worker's or another tenant's.</summary>
    public async Task<bool> WorkersRegisterRemoteAsync(RemoteWorkerLease w, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<string?>(new CommandDefinition(UpsertRemote, new
        {
            id = w.Id, host = w.Host, queues = w.Queues, types = w.Types, concurrency = w.Concurrency, now = w.Now, owner = w.Owner, alive_until = w.AliveUntil,
        }, cancellationToken: ct)) is not null;
    }

    /// <summary>A remote worker was heard from (a heartbeat, or an outcome: <paramref name="processed"/> and <paramref name="failed"/> count it).</summary>
    public async Task WorkersTouchRemoteAsync(string id, DateTime now, DateTime aliveUntil, int processed, int failed, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(TouchRemote, new { id, now, alive_until = aliveUntil, processed, failed }, cancellationToken: ct));
    }

    /// <summary>A remote worker says it stopped; false when no remote worker of <paramref name="owner"/> (null: any) has that id.</summary>
    public async Task<bool> WorkersStopRemoteAsync(string id, string? owner, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<string?>(new CommandDefinition(StopRemote, new { id, owner, now }, cancellationToken: ct)) is not null;
    }

    /// <summary>Drops registry rows of workers stopped or silent for a day.</summary>
    public async Task<int> WorkersForgetAsync(DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(new CommandDefinition(Forget, new { before = now.AddDays(-1), stale_before = now.AddDays(-1) }, cancellationToken: ct));
    }
}
