using Dapper;
using JobQueue.Core.Jobs;
using Npgsql;

namespace JobQueue.Storage.Postgres;

public sealed partial class PostgresJobStore
{
    /// <summary>Inserts jobs in one statement; all or none (a batch is one transaction).</summary>
    public async Task JobsInsertAsync(IReadOnlyList<Job> jobs, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var args = new
        {
            ids = jobs.Select(j => j.Id).ToArray(),
            owners = jobs.Select(j => j.Owner).ToArray(),
            api_key_ids = jobs.Select(j => j.ApiKeyId).ToArray(),
            types = jobs.Select(j => j.Type).ToArray(),
            payloads = jobs.Select(j => j.Payload).ToArray(),
            priorities = jobs.Select(j => (short)j.Priority).ToArray(),
            max_attempts = jobs.Select(j => j.MaxAttempts).ToArray(),
            queues = jobs.Select(j => j.QueueName).ToArray(),
            scheduled = jobs.Select(j => j.ScheduledAt).ToArray(),
            created = jobs.Select(j => j.CreatedAt).ToArray(),
            timeouts = jobs.Select(j => j.TimeoutSeconds).ToArray(),
            ttls = jobs.Select(j => j.TtlSeconds).ToArray(),
            tags = jobs.Select(j => j.Tags).ToArray(),
            requeued_from = jobs.Select(j => j.RequeuedFrom).ToArray(),
            trace_parents = jobs.Select(j => j.TraceParent).ToArray(),
        };
        if (tx is not null)
        {
            await tx.Connection!.ExecuteAsync(Cmd(JobSql.Insert, args, ct, tx));
            return;
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(Cmd(JobSql.Insert, args, ct));
    }

    /// <summary>
    /// Inserts several enqueue requests in one transaction. Each metered unit first takes its jobs from its account's
    /// monthly allowance (one atomic limit-checked statement); a unit over the limit is left out and counts nothing,
    /// the others are inserted together. Returns, per unit, its usage after the call (null for an unmetered unit);
    /// <see cref="UsageConsumption.Accepted"/> false means that unit was refused and not inserted. If the statement
    /// fails, nothing is inserted and nothing counted (the transaction rolls back).
    /// </summary>
    public async Task<UsageConsumption?[]> JobsInsertGroupAsync(IReadOnlyList<EnqueueUnit> units, DateTimeOffset now, CancellationToken ct)
    {
        var usage = new UsageConsumption?[units.Count];
        if (units.All(u => u.MeterAccountId is null))
        {
            await JobsInsertAsync(units.Count == 1 ? units[0].Jobs : [.. units.SelectMany(u => u.Jobs)], ct);
            return usage;
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Accounts' rows are locked in one order (by account; arrival order within one), so that two replicas'
        // groups holding the same accounts queue behind each other instead of deadlocking.
        foreach (var i in Enumerable.Range(0, units.Count).OrderBy(i => units[i].MeterAccountId ?? Guid.Empty))
        {
            if (units[i].MeterAccountId is { } accountId)
            {
                usage[i] = await UsageMeter.TryConsumeAsync(conn, tx, accountId, units[i].MeterLimit, units[i].Jobs.Count, now, ct);
            }
        }

        var accepted = units.Where((_, i) => usage[i] is not { Accepted: false }).SelectMany(u => u.Jobs).ToList();
        await JobsInsertAsync(accepted, ct, tx);
        await tx.CommitAsync(ct);
        return usage;
    }
}

/// <summary>
/// One enqueue request in a group commit: its jobs (all or none), and the account (user id) whose monthly allowance
/// they take (<see cref="MeterAccountId"/> null: not metered; <see cref="MeterLimit"/>
/// <see cref="JobQueue.Core.Accounts.Tiers.Unlimited"/>: counted, no limit).
/// </summary>
public sealed record EnqueueUnit(IReadOnlyList<Job> Jobs, Guid? MeterAccountId = null, long MeterLimit = JobQueue.Core.Accounts.Tiers.Unlimited);
