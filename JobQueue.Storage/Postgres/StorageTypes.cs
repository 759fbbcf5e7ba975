using JobQueue.Core.Jobs;

namespace JobQueue.Storage.Postgres;

/// <summary>A job a worker has claimed in Postgres: its lease on one attempt.</summary>
public sealed record ClaimedJob
{
    public Guid Id { get; init; }
    public string Owner { get; init; } = "";
    public string Type { get; init; } = "";
    public string Payload { get; init; } = "{}";
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public string QueueName { get; init; } = QueueNames.Default;
    public int Priority { get; init; }
    public int? TimeoutSeconds { get; init; }
    public string? TraceParent { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime StartedAt { get; init; }
}

/// <summary>Parameters of <see cref="PostgresJobStore.JobsClaimAsync"/>.</summary>
public sealed record JobsClaimParams(IReadOnlyCollection<Guid> Ids, string WorkerId, DateTime Now, DateTime LeaseUntil);

/// <summary>The successful end of one attempt.</summary>
public readonly record struct JobCompletion(Guid Id, int Attempt, string? Result);

/// <summary>Parameters of <see cref="PostgresJobStore.JobsFailAsync"/>: the attempt failed and will be retried at <see cref="RetryAt"/>.</summary>
public sealed record JobsFailParams(Guid Id, int Attempt, string WorkerId, string Error, DateTime RetryAt);

/// <summary>Parameters of <see cref="PostgresJobStore.JobsKillAsync"/>: the job is dead and goes to the DLQ.</summary>
public sealed record JobsKillParams(Guid Id, int Attempt, string? WorkerId, string Error, DateTime Now, TimeSpan DlqRetention);

/// <summary>What a cancel request did.</summary>
public enum CancelOutcome
{
    /// <summary>The job was waiting and is now cancelled: it will never run.</summary>
    Cancelled,
    /// <summary>The job is running; its worker was told and will end it <c>cancelled</c>.</summary>
    CancelRequested,
    NotFound,
    /// <summary>The job had already ended.</summary>
    AlreadyEnded,
}

/// <summary>Filters of the job lists (null: any). <see cref="Owner"/> null means every tenant (admin).</summary>
public sealed record JobListFilter(string? Owner, string? Status = null, string? Type = null, string? Queue = null, string? TagsJson = null);

/// <summary>Counts for <c>GET /api/v1/stats</c>.</summary>
public sealed record JobStats
{
    public long TotalJobs { get; init; }
    public long Pending { get; init; }
    public long Running { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    public long Dead { get; init; }
    public long Cancelled { get; init; }
    public long JobsPerMinute { get; init; }
    public long DlqCount { get; init; }
    public long ActiveWorkers { get; init; }
    /// <summary>One entry per queue (every queue, zeros included), in the order of <see cref="JobQueue.Core.Jobs.QueueNames"/>.</summary>
    public IReadOnlyList<QueueStat> Queues { get; init; } = [];
    /// <summary>Waiting jobs of types no live worker serves (see <see cref="JobSql.Unserved"/>).</summary>
    public long Unserved { get; init; }
    /// <summary>Those jobs per type, most first (at most 100 types).</summary>
    public IReadOnlyList<UnservedType> UnservedTypes { get; init; } = [];
}

/// <summary>Waiting jobs of one type that no live worker serves.</summary>
public sealed record UnservedType(string Type, long Waiting);

/// <summary>Parameters of a remote lease: what the worker serves and for how long it leases.</summary>
public sealed record JobsLeaseParams(string? Owner, string WorkerId, IReadOnlyList<string> Types, IReadOnlyList<string> Queues, int Max, DateTime Now, DateTime LeaseUntil);

/// <summary>A job leased to a remote worker, with the token that proves the lease.</summary>
public sealed record LeasedJob(Job Job, Guid LeaseToken);

/// <summary>The running attempt a remote worker's token proves (see <see cref="PostgresJobStore.JobsLeaseHolderAsync"/>).</summary>
public sealed record LeaseHolder
{
    public Guid Id { get; init; }
    public string Type { get; init; } = "";
    public string QueueName { get; init; } = "";
    public int Priority { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public string WorkerId { get; init; } = "";
    public bool CancelRequested { get; init; }
}

/// <summary>A remote worker's extended lease.</summary>
public sealed record ExtendedLease(DateTime LeaseUntil, bool CancelRequested, string WorkerId);

/// <summary>The caller's jobs waiting in one queue (pending, delayed, or failed and waiting for a retry) and running in it.</summary>
public sealed record QueueStat(string Queue, long Depth, long Running);

/// <summary>
/// One attempt to run a job. A finished one comes from <c>job_attempts</c>; the attempt running now has no
/// <see cref="FinishedAt"/> and the outcome <c>running</c>.
/// </summary>
public sealed record JobAttempt(int Attempt, string WorkerId, DateTime StartedAt, DateTime? FinishedAt, double? DurationMs, string Outcome, string? Error)
{
    public const string Running = "running";
}

/// <summary>Outcome of requeueing a DLQ entry.</summary>
public sealed record DlqRequeueResult(DlqEntry? Entry, Job? NewJob, bool NotFound, bool AlreadyRequeued);
