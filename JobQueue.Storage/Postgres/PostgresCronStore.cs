using Dapper;
using JobQueue.Core.Cron;
using JobQueue.Core.Jobs;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>
/// The truth about cron schedules: CRUD scoped by tenant, and firing. A tick fires exactly once however many
/// firers run: the due tick is advanced by a compare-and-set and the job inserted (through
/// <see cref="PostgresJobStore.JobsInsertAsync"/>, as API enqueues are) in one transaction. All SQL is in <see cref="CronSql"/>.
/// </summary>
public sealed class PostgresCronStore(NpgsqlDataSource dataSource, PostgresJobStore jobs)
{
    private const string UniqueViolation = "23505";

    static PostgresCronStore()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Stores a new schedule; false when its owner already has a schedule of that name.</summary>
    public async Task<bool> CronInsertAsync(CronSchedule schedule, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await conn.ExecuteAsync(Cmd(CronSql.Insert, schedule, ct));
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>The schedule, or null when it does not exist or is not <paramref name="owner"/>'s (null: any owner).</summary>
    public async Task<CronSchedule?> CronGetAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<CronSchedule>(Cmd(CronSql.Get, new { id, owner }, ct));
    }

    /// <summary>The schedules of <paramref name="owner"/> (null: every tenant's), by name.</summary>
    public async Task<IReadOnlyList<CronSchedule>> CronListAsync(string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<CronSchedule>(Cmd(CronSql.List, new { owner }, ct))).AsList();
    }

    /// <summary>
    /// Changes a schedule under a row lock: <paramref name="change"/> gets the current row and returns the new one.
    /// </summary>
    public async Task<CronUpdateResult> CronUpdateAsync(Guid id, string? owner, Func<CronSchedule, CronSchedule> change, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var current = await conn.QuerySingleOrDefaultAsync<CronSchedule>(Cmd(CronSql.GetForUpdate, new { id, owner }, ct, tx));
        if (current is null)
        {
            return new CronUpdateResult(null, NotFound: true, NameTaken: false);
        }

        var updated = change(current);
        try
        {
            await conn.ExecuteAsync(Cmd(CronSql.Update, updated, ct, tx));
            await tx.CommitAsync(ct);
            return new CronUpdateResult(updated, NotFound: false, NameTaken: false);
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
        {
            return new CronUpdateResult(null, NotFound: false, NameTaken: true);
        }
    }

    /// <summary>Deletes the schedule; false when it does not exist or is not <paramref name="owner"/>'s. Jobs it fired stay.</summary>
    public async Task<bool> CronDeleteAsync(Guid id, string? owner, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(Cmd(CronSql.Delete, new { id, owner }, ct)) == 1;
    }

    /// <summary>The earliest tick of any enabled schedule (null: none), for the firer to sleep until.</summary>
    public async Task<DateTime?> CronEarliestDueAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteScalarAsync<DateTime?>(Cmd(CronSql.EarliestDue, null, ct));
    }

    /// <summary>
    /// Fires the schedules due at <see cref="CronFireDueParams.Now"/>, up to <see cref="CronFireDueParams.Limit"/>, in
    /// one transaction: the due rows are locked (<c>FOR UPDATE SKIP LOCKED</c>: a concurrent firer skips them), each
    /// is planned (its next tick and its job), then <see cref="CronFireAsync"/> advances and inserts. Returns the jobs
    /// committed, to be indexed in Redis by the caller.
    /// </summary>
    public async Task<IReadOnlyList<Job>> CronFireDueAsync(CronFireDueParams p, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = (await conn.QueryAsync<CronSchedule>(Cmd(CronSql.SelectDue, new { now = p.Now, limit = p.Limit }, ct, tx))).AsList();
        if (due.Count == 0)
        {
            return [];
        }

        var firings = new List<CronFiring>(due.Count);
        foreach (var schedule in due)
        {
            if (p.Plan(schedule) is { } firing)
            {
                firings.Add(firing);
            }
        }

        var fired = await CronFireAsync(firings, p.Now, ct, tx);
        await tx.CommitAsync(ct);
        return fired;
    }

    /// <summary>
    /// The compare-and-set of firing: moves each schedule from the tick it was seen at (<see cref="CronFiring.Due"/>)
    /// to <see cref="CronFiring.Next"/> only if that is still its tick, and inserts the jobs of exactly the schedules
    /// moved, in the same transaction (<paramref name="tx"/>, or one of its own). A firer that lost the race (another
    /// moved the tick first) inserts nothing. Returns the jobs inserted.
    /// </summary>
    public async Task<IReadOnlyList<Job>> CronFireAsync(IReadOnlyList<CronFiring> firings, DateTime now, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        if (firings.Count == 0)
        {
            return [];
        }

        if (tx is null)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var own = await conn.BeginTransactionAsync(ct);
            var fired = await CronFireAsync(firings, now, ct, own);
            await own.CommitAsync(ct);
            return fired;
        }

        var args = new
        {
            ids = firings.Select(f => f.ScheduleId).ToArray(),
            dues = firings.Select(f => f.Due).ToArray(),
            nexts = firings.Select(f => f.Next).ToArray(),
            now,
        };
        var advanced = (await tx.Connection!.QueryAsync<Guid>(Cmd(CronSql.Advance, args, ct, tx))).ToHashSet();
        var jobsToInsert = firings.Where(f => advanced.Contains(f.ScheduleId)).Select(f => f.Job).ToList();
        await jobs.JobsInsertAsync(jobsToInsert, ct, tx);
        return jobsToInsert;
    }

    private static CommandDefinition Cmd(string sql, object? args, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        new(sql, args, tx, cancellationToken: ct);
}

/// <summary>One planned firing: schedule <see cref="ScheduleId"/> seen at tick <see cref="Due"/> moves to <see cref="Next"/> and enqueues <see cref="Job"/>.</summary>
public sealed record CronFiring(Guid ScheduleId, DateTime Due, DateTime Next, Job Job);

/// <summary>
/// Parameters of <see cref="PostgresCronStore.CronFireDueAsync"/>: fire what is due at <see cref="Now"/>, at most
/// <see cref="Limit"/> schedules; <see cref="Plan"/> gives each due schedule's firing (null: skip it this round).
/// </summary>
public sealed record CronFireDueParams(DateTime Now, int Limit, Func<CronSchedule, CronFiring?> Plan);

/// <summary>Outcome of <see cref="PostgresCronStore.CronUpdateAsync"/>.</summary>
public sealed record CronUpdateResult(CronSchedule? Schedule, bool NotFound, bool NameTaken);
