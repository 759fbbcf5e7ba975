using JobQueue.Core.Jobs;
using JobQueue.Storage.Redis;

namespace Api.Gateway.Metrics;

/// <summary>
/// The system-wide section of the gateway's <c>/metrics</c>: every family always has its HELP and TYPE lines; a
/// family whose source is down has no samples, and <c>jobqueue_metrics_source_up{source}</c> says which.
/// </summary>
internal static class SystemMetricsExposition
{
    private const string Counter = "counter";
    private const string Gauge = "gauge";
    private const string Histogram = "histogram";

    private static readonly (string Event, string Family, string Help)[] JobCounters =
    [
        ("enqueued", "jobqueue_jobs_enqueued_total", "Jobs enqueued (committed), by queue and job type, across all replicas."),
        ("completed", "jobqueue_jobs_completed_total", "Job attempts that completed."),
        ("failed", "jobqueue_jobs_failed_total", "Job attempts that failed and will be retried."),
        ("dead", "jobqueue_jobs_dead_total", "Jobs that failed their last attempt (moved to the dead-letter queue)."),
        ("cancelled", "jobqueue_jobs_cancelled_total", "Jobs cancelled."),
    ];

    private const string Duration = "jobqueue_job_duration_seconds";
    private const string Wait = "jobqueue_job_wait_seconds";
    private const string QueueDepth = "jobqueue_queue_depth";
    private const string Running = "jobqueue_jobs_running";
    private const string ActiveWorkers = "jobqueue_active_workers";
    private const string Unserved = "jobqueue_jobs_unserved";
    private const string WsClients = "jobqueue_ws_clients";
    private const string WebhookDeliveries = "jobqueue_webhook_deliveries_total";
    private const string SourceUp = "jobqueue_metrics_source_up";

    /// <summary>The family names this section owns; the same names from elsewhere in the exposition are dropped.</summary>
    public static readonly IReadOnlySet<string> Families = new HashSet<string>(StringComparer.Ordinal)
    {
        JobCounters[0].Family, JobCounters[1].Family, JobCounters[2].Family, JobCounters[3].Family, JobCounters[4].Family,
        Duration, Wait, QueueDepth, Running, ActiveWorkers, Unserved, WsClients, WebhookDeliveries, SourceUp,
    };

    public static void Write(PrometheusTextWriter w, SystemMetricsView view)
    {
        var redis = view.Redis;
        var postgres = view.Postgres;

        foreach (var (ev, family, help) in JobCounters)
        {
            w.Family(family, Counter, help);
            foreach (var c in (redis?.Jobs ?? []).Where(c => c.Event == ev).OrderBy(c => c.Queue, StringComparer.Ordinal).ThenBy(c => c.JobType, StringComparer.Ordinal))
            {
                w.Sample(family, c.Value, ("queue", c.Queue), ("job_type", c.JobType));
            }
        }

        WriteHistogram(w, Duration, "Run time of job attempts (completed, failed or dead), by queue and job type.", redis?.Duration);
        WriteHistogram(w, Wait, "Time a job waited from due to started (queue wait), by queue and job type.", redis?.Wait);

        w.Family(QueueDepth, Gauge, "Jobs waiting in a queue: pending (including delayed) and failed ones waiting for their retry.");
        foreach (var queue in QueueNames.All)
        {
            if (postgres is not null)
            {
                w.Sample(QueueDepth, postgres.Queues.Where(q => q.Queue == queue).Sum(q => q.Depth), ("queue", queue));
            }
        }

        w.Family(Running, Gauge, "Jobs running now.");
        if (postgres is not null)
        {
            w.Sample(Running, postgres.Running);
        }

        w.Family(ActiveWorkers, Gauge, "Worker processes that heartbeat (missed fewer than three heartbeats).");
        if (postgres is not null)
        {
            w.Sample(ActiveWorkers, postgres.ActiveWorkers);
        }

        w.Family(Unserved, Gauge, "Jobs waiting for a type no live worker serves (built-in or remote): they wait instead of failing.");
        if (postgres is not null)
        {
            w.Sample(Unserved, postgres.Unserved);
        }

        w.Family(WsClients, Gauge, "WebSocket clients connected to /ws, across all Jobs.Api instances.");
        if (redis is not null)
        {
            w.Sample(WsClients, redis.WsClients);
        }

        w.Family(WebhookDeliveries, Counter, "Webhook delivery attempts, by outcome.");
        foreach (var (outcome, n) in (redis?.WebhookDeliveries ?? new Dictionary<string, long>()).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            w.Sample(WebhookDeliveries, n, ("outcome", outcome));
        }

        w.Family(SourceUp, Gauge, "Whether the gateway could read a source of these metrics (1) or not (0) at this scrape.");
        w.Sample(SourceUp, postgres is null ? 0 : 1, ("source", "postgres"));
        w.Sample(SourceUp, redis is null ? 0 : 1, ("source", "redis"));
    }

    private static void WriteHistogram(PrometheusTextWriter w, string family, string help, IReadOnlyList<HistogramSample>? series)
    {
        w.Family(family, Histogram, help);
        var bounds = SystemMetricsStore.BucketBounds;
        foreach (var s in series ?? [])
        {
            for (var i = 0; i < bounds.Length; i++)
            {
                w.Sample(family + "_bucket", s.CumulativeCounts[i], ("queue", s.Queue), ("job_type", s.JobType), ("le", PrometheusTextWriter.Number(bounds[i])));
            }

            w.Sample(family + "_bucket", s.Count, ("queue", s.Queue), ("job_type", s.JobType), ("le", "+Inf"));
            w.Sample(family + "_sum", s.Sum, ("queue", s.Queue), ("job_type", s.JobType));
            w.Sample(family + "_count", s.Count, ("queue", s.Queue), ("job_type", s.JobType));
        }
    }
}
