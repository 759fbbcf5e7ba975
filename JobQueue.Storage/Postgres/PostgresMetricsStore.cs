using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>Jobs waiting (<paramref name="Depth"/>) and running in one queue.</summary>
public readonly record struct QueueGauge(string Queue, long Depth, long Running);

/// <summary>The system-wide gauges that come from Postgres, at one moment.</summary>
public sealed record SystemGauges(IReadOnlyList<QueueGauge> Queues, long ActiveWorkers, long Unserved)
{
    public long Running => Queues.Sum(q => q.Running);
}

/// <summary>Reads the gauges of the gateway's <c>/metrics</c> (the caller caches them: scrapes must not hammer Postgres).</summary>
public sealed class PostgresMetricsStore(NpgsqlDataSource dataSource)
{
    /// <summary>Queue depths, running jobs, unserved jobs and active workers (silent for less than <paramref name="workerStaleAfter"/>), in one round trip.</summary>
    public async Task<SystemGauges> GaugesReadAsync(DateTime now, TimeSpan workerStaleAfter, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var reader = await conn.QueryMultipleAsync(new CommandDefinition(
            MetricsSql.QueueGauges + ";\n" + MetricsSql.ActiveWorkers + ";\n" + MetricsSql.Unserved, new { now, stale = workerStaleAfter }, cancellationToken: ct));
        var queues = (await reader.ReadAsync<QueueGauge>()).AsList();
        var workers = await reader.ReadSingleAsync<long>();
        var unserved = await reader.ReadSingleAsync<long>();
        return new SystemGauges(queues, workers, unserved);
    }
}
