namespace JobQueue.Storage.Postgres;

/// <summary>The gauges the gateway's <c>/metrics</c> reads from Postgres, the truth for what is waiting and running now.</summary>
internal static class MetricsSql
{
    /// <summary>
    /// Per queue: jobs waiting to run (pending, including delayed ones, and failed ones waiting for their retry) and
    /// jobs running. Only those statuses are read (the partial indexes <c>jobs_waiting_idx</c> and
    /// <c>jobs_running_lease_idx</c> cover them), never the finished history that the original's COUNT(*) scanned.
    /// </summary>
    public const string QueueGauges =
        """
        SELECT queue_name AS queue,
               count(*) FILTER (WHERE status IN ('pending', 'failed')) AS depth,
               count(*) FILTER (WHERE status = 'running')              AS running
        FROM jobs
        WHERE status IN ('pending', 'failed', 'running')
        GROUP BY queue_name
        """;

    /// <summary>Active workers as <c>/api/v1/stats</c> counts them: registered active and heard from within the stale window.</summary>
    public static readonly string ActiveWorkers = "SELECT count(*) FROM workers w WHERE " + WorkerSql.Alive("w");

    /// <summary>Waiting jobs, every tenant's, of types no live worker serves (see <see cref="JobSql.Unserved"/>).</summary>
    public static readonly string Unserved = "SELECT count(*) FROM jobs j WHERE j.status IN ('pending', 'failed') AND " + WorkerSql.UnservedJob("j");
}
