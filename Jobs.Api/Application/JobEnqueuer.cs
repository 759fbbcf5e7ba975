using System.Diagnostics;
using System.Diagnostics.Metrics;
using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using StackExchange.Redis;

namespace Jobs.Api.Application;

/// <summary>
/// Accepting jobs: commit to Postgres first (the 201 promise), then index in Redis. If the Redis push fails
/// the job is still accepted: the scheduler's stale-index sweep (or a full rebuild after Redis loss) indexes it.
/// </summary>
internal sealed partial class JobEnqueuer(GroupCommit commits, RedisBroker broker, TimeProvider time, ILogger<JobEnqueuer> logger)
{
    private static readonly Meter Meter = new("JobQueue.Jobs.Api");
    private static readonly Counter<long> Enqueued = Meter.CreateCounter<long>("jobqueue.jobs.enqueued", description: "Jobs accepted");

    public async Task<IReadOnlyList<Job>> EnqueueAsync(Caller caller, IReadOnlyList<EnqueueSpec> specs, CancellationToken ct)
    {
        // Postgres keeps microseconds: truncate now so the 201 answer shows what a later read (and a cursor) will.
        var now = TruncateToMicroseconds(time.GetUtcNow().UtcDateTime);
        var traceParent = Activity.Current?.Id;
        var jobs = new Job[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            var s = specs[i];
            jobs[i] = new Job
            {
                Id = Guid.CreateVersion7(),
                Owner = caller.Owner,
                ApiKeyId = caller.ApiKeyId,
                Type = s.Type,
                Payload = s.Payload,
                Priority = s.Priority,
                MaxAttempts = s.MaxAttempts,
                QueueName = s.QueueName,
                ScheduledAt = s.ScheduledAt < now ? now : TruncateToMicroseconds(s.ScheduledAt),
                CreatedAt = now,
                TimeoutSeconds = s.TimeoutSeconds,
                TtlSeconds = s.TtlSeconds,
                Tags = s.Tags,
                TraceParent = traceParent,
            };
        }

        // Group commit: concurrent requests share one INSERT and one WAL flush (see GroupCommit).
        await commits.InsertAsync(jobs).WaitAsync(ct);
        await IndexAsync(jobs.Select(j => new QueueEntry(j.Id, j.QueueName, j.Priority, j.ScheduledAt)).ToList());
        foreach (var j in jobs)
        {
            Enqueued.Add(1, new KeyValuePair<string, object?>("queue", j.QueueName), new KeyValuePair<string, object?>("type", j.Type));
        }

        return jobs;
    }

    /// <summary>Indexes committed jobs; a Redis failure is logged, not returned: the job is already safe in Postgres.</summary>
    public async Task IndexAsync(IReadOnlyCollection<QueueEntry> entries)
    {
        try
        {
            await broker.PushAsync(entries);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogIndexDeferred(logger, entries.Count, ex.Message);
        }
    }

    internal static DateTime TruncateToMicroseconds(DateTime t) => new(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis push of {Count} committed jobs failed ({Reason}); the scheduler will index them")]
    private static partial void LogIndexDeferred(ILogger logger, int count, string reason);
}
