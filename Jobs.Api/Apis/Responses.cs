using System.Text.Json.Serialization;
using JobQueue.Core.Jobs;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;

namespace Jobs.Api.Apis;

/// <summary>
/// A job as the API shows it: the original's fields plus timeout, TTL, DLQ lineage, its tenant (how the admin key
/// tells tenants apart) and the trace id of the request that enqueued it.
/// </summary>
public record JobResponse(
    Guid Id,
    string Type,
    [property: JsonConverter(typeof(RawJsonConverter))] string Payload,
    int Priority,
    string Status,
    int Attempts,
    int MaxAttempts,
    string QueueName,
    DateTime ScheduledAt,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? CompletedAt,
    string? WorkerId,
    string? ErrorMessage,
    [property: JsonConverter(typeof(RawJsonConverter))] string? Result,
    Guid? ApiKeyId,
    DateTime? ExpiresAt,
    [property: JsonConverter(typeof(RawJsonConverter))] string Tags,
    int? TimeoutSeconds,
    int? TtlSeconds,
    Guid? RequeuedFrom,
    string Tenant,
    string? TraceId,
    [property: JsonConverter(typeof(RawJsonConverter))] string? Progress)
{
    public static JobResponse From(Job j) => new(
        j.Id, j.Type, j.Payload, j.Priority, j.Status.ToWire(), j.Attempts, j.MaxAttempts, j.QueueName, j.ScheduledAt, j.CreatedAt,
        j.StartedAt, j.CompletedAt, j.WorkerId, j.ErrorMessage, j.Result, j.ApiKeyId, j.ExpiresAt, j.Tags, j.TimeoutSeconds,
        j.TtlSeconds, j.RequeuedFrom, j.Owner, TraceIdOf(j.TraceParent), j.Progress);

    /// <summary>The trace id of a W3C traceparent (<c>00-&lt;32 hex&gt;-&lt;16 hex&gt;-&lt;flags&gt;</c>); null for anything else.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: >= 55 } && traceParent[2] == '-' && traceParent[35] == '-' ? traceParent[3..35] : null;
}

/// <summary>The attempts of a job, oldest first.</summary>
public sealed record JobAttemptList(IReadOnlyList<JobAttempt> Items);

/// <summary>A DLQ entry as the API shows it.</summary>
public sealed record DlqEntryResponse(
    Guid Id,
    Guid JobId,
    string Type,
    [property: JsonConverter(typeof(RawJsonConverter))] string Payload,
    int Priority,
    string QueueName,
    int MaxAttempts,
    int TotalAttempts,
    string? LastError,
    DateTime DiedAt,
    DateTime OriginalCreatedAt,
    bool Requeued,
    DateTime? RequeuedAt,
    Guid? NewJobId,
    Guid? ApiKeyId,
    DateTime? ExpiresAt,
    [property: JsonConverter(typeof(RawJsonConverter))] string Tags)
{
    public static DlqEntryResponse From(DlqEntry e) => new(
        e.Id, e.JobId, e.Type, e.Payload, e.Priority, e.QueueName, e.MaxAttempts, e.TotalAttempts, e.LastError, e.DiedAt,
        e.OriginalCreatedAt, e.Requeued, e.RequeuedAt, e.NewJobId, e.ApiKeyId, e.ExpiresAt, e.Tags);
}

/// <summary>A cursor page: <c>{items, next_cursor, has_more, limit}</c> as in the original.</summary>
public sealed record CursorPage(IReadOnlyList<JobResponse> Items, string? NextCursor, bool HasMore, int Limit);

/// <summary>The original's Stats, scoped to the caller.</summary>
public sealed record StatsResponse(
    long TotalJobs, long Pending, long Running, long Completed, long Failed, long Dead, long Cancelled,
    long ActiveWorkers, long JobsPerMinute, double FailedRate, long QueueDepth, long DlqCount, IReadOnlyList<QueueStat> Queues,
    long Unserved, IReadOnlyList<UnservedType> UnservedTypes)
{
    public static StatsResponse From(JobStats s)
    {
        var ended = s.Completed + s.Failed + s.Dead;
        return new StatsResponse(s.TotalJobs, s.Pending, s.Running, s.Completed, s.Failed, s.Dead, s.Cancelled, s.ActiveWorkers,
            s.JobsPerMinute, ended == 0 ? 0 : Math.Round((double)(s.Failed + s.Dead) / ended, 4), s.Pending + s.Failed + s.Running, s.DlqCount, s.Queues,
            s.Unserved, s.UnservedTypes);
    }
}

/// <summary>A job leased to a remote worker: the job, the token that proves the lease, and when the lease ends.</summary>
public sealed record LeasedJobResponse : JobResponse
{
    private LeasedJobResponse(JobResponse job, string leaseToken, DateTime leaseExpiresAt)
        : base(job)
    {
        LeaseToken = leaseToken;
        LeaseExpiresAt = leaseExpiresAt;
    }

    public string LeaseToken { get; }

    public DateTime LeaseExpiresAt { get; }

    public static LeasedJobResponse From(LeasedJob leased) =>
        new(JobResponse.From(leased.Job), leased.LeaseToken.ToString("D"), leased.Job.LeaseUntil ?? DateTime.MinValue);
}

/// <summary>The answer to a remote worker's heartbeat: the lease's new end, and whether the job's owner asked to cancel it.</summary>
public sealed record HeartbeatResponse(DateTime LeaseExpiresAt, bool CancelRequested);
