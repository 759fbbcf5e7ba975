namespace JobQueue.Core.Jobs;

/// <summary>
/// A job as stored. <see cref="Payload"/>, <see cref="Result"/> and <see cref="Tags"/> hold JSON text, passed
/// through without a C# model so numbers keep their digits; Postgres stores them as jsonb, which normalises key
/// order and whitespace (values are what is kept, not the exact text).
/// </summary>
public sealed record Job
{
    public required Guid Id { get; init; }
    /// <summary>The tenant the job belongs to; every query filters by it (tenancy from day one).</summary>
    public required string Owner { get; init; }
    public Guid? ApiKeyId { get; init; }
    public required string Type { get; init; }
    public string Payload { get; init; } = "{}";
    public int Priority { get; init; } = JobDefaults.Priority;
    public JobStatus Status { get; init; } = JobStatus.Pending;
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; } = JobDefaults.MaxAttempts;
    public string QueueName { get; init; } = QueueNames.Default;
    public DateTime ScheduledAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public string? WorkerId { get; init; }
    public DateTime? LeaseUntil { get; init; }
    public string? ErrorMessage { get; init; }
    public string? Result { get; init; }
    public int? TimeoutSeconds { get; init; }
    public int? TtlSeconds { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public string Tags { get; init; } = "{}";
    /// <summary>The DLQ entry this job was requeued from, if any.</summary>
    public Guid? RequeuedFrom { get; init; }
    public string? TraceParent { get; init; }
    /// <summary>The last progress (JSON) a remote worker reported for the running attempt.</summary>
    public string? Progress { get; init; }
}

/// <summary>Defaults applied when a request leaves a field out.</summary>
public static class JobDefaults
{
    public const int Priority = 5;
    public const int MaxAttempts = 5;
    public const int MinPriority = 1;
    public const int MaxPriority = 10;
    public const int MaxBatch = 500;
}
