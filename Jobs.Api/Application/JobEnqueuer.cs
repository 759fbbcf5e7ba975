using System.Diagnostics;
using System.Diagnostics.Metrics;
using JobQueue.Core.Accounts;
using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;

namespace Jobs.Api.Application;

/// <summary>
/// Accepting jobs: builds the rows from validated requests and hands them to <see cref="GroupCommit"/>, which
/// commits them to Postgres (the 201 promise) and then indexes them in Redis.
/// </summary>
internal sealed class JobEnqueuer(GroupCommit commits, TimeProvider time)
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

        // Account callers are metered per job against their account's monthly allowance (whichever key or login
        // token they use), in the insert's transaction; the operator and the static single-tenant key are not.
        var unit = caller.UserId is { } accountId && caller.JobsLimit is { } limit
            ? new EnqueueUnit(jobs, accountId, limit)
            : new EnqueueUnit(jobs);

        // Group commit: concurrent requests share one INSERT, one WAL flush and one index push (see GroupCommit).
        var usage = await commits.InsertAsync(unit).WaitAsync(ct);
        if (usage is { Accepted: false } refused)
        {
            var nowOffset = time.GetUtcNow();
            throw new UsageLimitExceededException(caller.Tier ?? Tier.Free, caller.JobsLimit ?? 0, refused.Used, jobs.Length, UsagePeriod.ResetAt(nowOffset));
        }
        foreach (var j in jobs)
        {
            Enqueued.Add(1, new KeyValuePair<string, object?>("queue", j.QueueName), new KeyValuePair<string, object?>("type", j.Type));
        }

        return jobs;
    }

    /// <summary>Indexes jobs committed elsewhere (a retry, a requeue); see <see cref="GroupCommit.IndexAsync"/>.</summary>
    public Task IndexAsync(IReadOnlyCollection<QueueEntry> entries) => commits.IndexAsync(entries);

    internal static DateTime TruncateToMicroseconds(DateTime t) => new(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc);

}

/// <summary>An enqueue refused because it would take the account past its tier's monthly job limit (nothing was accepted).</summary>
internal sealed class UsageLimitExceededException(Tier tier, long limit, long used, int requested, DateTimeOffset resetAt)
    : Exception($"monthly job limit reached: the {tier.ToWire()} tier allows {limit} jobs a month, {used} used, this request has {requested}; " +
                $"the count resets at {resetAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} (upgrade through POST /portal/checkout)")
{
    public DateTimeOffset ResetAt { get; } = resetAt;
}
