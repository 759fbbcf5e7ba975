using System.Security.Cryptography;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;

namespace JobQueue.Storage.Tests;

/// <summary>Optional settings of a test job; everything left out gets a plain default.</summary>
public sealed record JobOpts
{
    public string Owner { get; init; } = "t1";
    public string Type { get; init; } = "email.send";
    public string Payload { get; init; } = "{}";
    public int Priority { get; init; } = JobDefaults.Priority;
    public string Queue { get; init; } = QueueNames.Default;
    public int MaxAttempts { get; init; } = JobDefaults.MaxAttempts;
    public DateTime? ScheduledAt { get; init; }
    public DateTime? CreatedAt { get; init; }
    public int? TtlSeconds { get; init; }
    public int? TimeoutSeconds { get; init; }
    public string Tags { get; init; } = "{}";
}

/// <summary>Builds <see cref="Job"/> records as the API would (UUIDv7 ids, times truncated to Postgres' microseconds).</summary>
public static class JobFactory
{
    /// <summary>Now, truncated to microseconds so that what is written equals what is read back.</summary>
    public static DateTime Now() => Truncate(DateTime.UtcNow);

    public static DateTime Truncate(DateTime t) => new(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc);

    /// <summary>A tenant name no other test uses, for tests that count or list.</summary>
    public static string NewOwner() => "t-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public static Job New(JobOpts? opts = null)
    {
        var o = opts ?? new JobOpts();
        var now = Now();
        var created = o.CreatedAt ?? now;
        return new Job
        {
            Id = Guid.CreateVersion7(),
            Owner = o.Owner,
            Type = o.Type,
            Payload = o.Payload,
            Priority = o.Priority,
            MaxAttempts = o.MaxAttempts,
            QueueName = o.Queue,
            ScheduledAt = o.ScheduledAt ?? created,
            CreatedAt = created,
            TtlSeconds = o.TtlSeconds,
            TimeoutSeconds = o.TimeoutSeconds,
            Tags = o.Tags,
        };
    }

    /// <summary>Inserts a pending job.</summary>
    public static async Task<Job> CreateAsync(PostgresJobStore store, JobOpts? opts = null, CancellationToken ct = default)
    {
        var job = New(opts);
        await store.JobsInsertAsync([job], ct);
        return job;
    }

    /// <summary>Inserts a job and claims it for <paramref name="workerId"/> (attempt 1) with a lease until <paramref name="leaseUntil"/>.</summary>
    public static async Task<Job> CreateRunningAsync(PostgresJobStore store, string workerId, DateTime now, DateTime leaseUntil, JobOpts? opts = null, CancellationToken ct = default)
    {
        var job = await CreateAsync(store, (opts ?? new JobOpts()) with { CreatedAt = now, ScheduledAt = now }, ct);
        var claimed = await store.JobsClaimAsync(new JobsClaimParams([job.Id], workerId, now, leaseUntil), ct);
        if (claimed.Count != 1)
        {
            throw new InvalidOperationException($"setup: job {job.Id} could not be claimed");
        }

        return job;
    }
}
