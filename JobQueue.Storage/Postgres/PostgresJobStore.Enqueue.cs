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
}
