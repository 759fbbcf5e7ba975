using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Client;

/// <summary>Where a job is in its life. A job moves pending → running → completed, or failed (retrying) → dead.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<JobStatus>))]
public enum JobStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Dead,
    Cancelled,
}

/// <summary>Reads and writes an enum as its snake_case name, as the API spells statuses.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;

// Properties with a default are settable: System.Text.Json's source generator sets every init-only property when it
// creates the object, so a field the server leaves out (an older server, a built-in worker's "types") would become
// null instead of keeping its default.

/// <summary>A job as the API shows it.</summary>
public record Job
{
    public Guid Id { get; init; }
    public string Type { get; set; } = "";
    public JsonElement Payload { get; init; }
    public int Priority { get; init; }
    public JobStatus Status { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public string QueueName { get; set; } = "";
    public DateTimeOffset ScheduledAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? WorkerId { get; init; }
    public string? ErrorMessage { get; init; }
    public JsonElement? Result { get; init; }
    public Guid? ApiKeyId { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; set; } = new Dictionary<string, string>();
    public int? TimeoutSeconds { get; init; }
    public int? TtlSeconds { get; init; }
    public Guid? RequeuedFrom { get; init; }
    /// <summary>The owner: the account's user id, or <c>default</c> for the static API key.</summary>
    public string? Tenant { get; init; }
    /// <summary>W3C trace id of the enqueue request; every attempt's span is in this trace.</summary>
    public string? TraceId { get; init; }
}

/// <summary>A job leased to a remote worker: the job, and the lease its outcome must quote.</summary>
public sealed record LeasedJob : Job
{
    public string LeaseToken { get; set; } = "";
    public DateTimeOffset LeaseExpiresAt { get; init; }
}

/// <summary>POST /api/v1/jobs. Only <see cref="Type"/> is required; the server's defaults apply to what is left null.</summary>
public sealed record EnqueueRequest
{
    public required string Type { get; init; }
    /// <summary>A JSON object (<c>JsonSerializer.SerializeToElement(...)</c>).</summary>
    public JsonElement? Payload { get; init; }
    /// <summary>1–10 (5).</summary>
    public int? Priority { get; init; }
    /// <summary>1–100 (5).</summary>
    public int? MaxAttempts { get; init; }
    /// <summary><c>critical</c>, <c>default</c> or <c>bulk</c>.</summary>
    public string? QueueName { get; init; }
    /// <summary>Run no earlier than this.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }
    public int? TtlSeconds { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public int? TimeoutSeconds { get; init; }
}

/// <summary>Filters of GET /api/v1/jobs and /api/v1/jobs/cursor.</summary>
public sealed record JobQuery
{
    public JobStatus? Status { get; init; }
    public string? Type { get; init; }
    public string? Queue { get; init; }
    /// <summary>Every tag must match.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    /// <summary>Page size, at most 100 (20).</summary>
    public int? Limit { get; init; }
    /// <summary>Offset paging only (<see cref="JobQueueClient.ListJobsAsync"/>).</summary>
    public int? Offset { get; init; }
}

/// <summary>One page of an offset-paged list, with the total the server counted.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int TotalCount, int Limit, int Offset, bool HasMore);

/// <summary>One keyset page of GET /api/v1/jobs/cursor.</summary>
public sealed record JobCursorPage
{
    public IReadOnlyList<Job> Items { get; set; } = [];
    public string? NextCursor { get; init; }
    public bool HasMore { get; init; }
    public int Limit { get; init; }
}

/// <summary>One attempt to run a job, as the worker that ran it reported it.</summary>
public sealed record JobAttempt
{
    public int Attempt { get; init; }
    public string WorkerId { get; set; } = "";
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public double? DurationMs { get; init; }
    /// <summary><c>running</c>, <c>completed</c>, <c>failed</c>, <c>dead</c>, <c>cancelled</c> or <c>lost</c>.</summary>
    public string Outcome { get; set; } = "";
    public string? Error { get; init; }
}

public sealed record JobAttemptList(IReadOnlyList<JobAttempt> Items);

/// <summary>The answer to a cancel: <c>cancelled</c> at once, or <c>running</c> with <see cref="CancelRequested"/> (its handler is told).</summary>
public sealed record CancelResult
{
    public Guid Id { get; init; }
    public string Status { get; set; } = "";
    public bool CancelRequested { get; init; }
}

/// <summary>How many ended jobs a purge deleted.</summary>
public sealed record PurgeResult(int Deleted);

/// <summary>A dead job in the dead-letter queue.</summary>
public sealed record DlqEntry
{
    public Guid Id { get; init; }
    public Guid JobId { get; init; }
    public string Type { get; set; } = "";
    public JsonElement Payload { get; init; }
    public int Priority { get; init; }
    public string QueueName { get; set; } = "";
    public int MaxAttempts { get; init; }
    public int TotalAttempts { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset DiedAt { get; init; }
    public DateTimeOffset OriginalCreatedAt { get; init; }
    public bool Requeued { get; init; }
    public DateTimeOffset? RequeuedAt { get; init; }
    public Guid? NewJobId { get; init; }
    public Guid? ApiKeyId { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; set; } = new Dictionary<string, string>();
}

/// <summary>A requeued dead job: the fresh job and the entry it came from.</summary>
public sealed record RequeueResult(Job NewJob, Guid DlqEntryId);

/// <summary>The caller's counts.</summary>
public sealed record Stats
{
    public long TotalJobs { get; init; }
    public long Pending { get; init; }
    public long Running { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    public long Dead { get; init; }
    public long Cancelled { get; init; }
    public int ActiveWorkers { get; init; }
    public long JobsPerMinute { get; init; }
    public double FailedRate { get; init; }
    public long QueueDepth { get; init; }
    public long DlqCount { get; init; }
    public IReadOnlyList<QueueStats> Queues { get; set; } = [];
    /// <summary>Waiting jobs whose type no live worker serves.</summary>
    public long Unserved { get; init; }
    public IReadOnlyList<UnservedType> UnservedTypes { get; set; } = [];
}

public sealed record QueueStats(string Queue, long Depth, long Running);

public sealed record UnservedType(string Type, long Waiting);

/// <summary>A registered worker: built in, or a remote one on the lease protocol.</summary>
public sealed record Worker
{
    public string Id { get; set; } = "";
    /// <summary><c>built-in</c> or <c>remote</c>.</summary>
    public string? Kind { get; init; }
    public IReadOnlyList<string> Types { get; set; } = [];
    public string Host { get; set; } = "";
    public int Pid { get; init; }
    public string Status { get; set; } = "";
    public IReadOnlyList<string> Queues { get; set; } = [];
    public int Concurrency { get; init; }
    public int Running { get; init; }
    public long JobsProcessed { get; init; }
    public long JobsFailed { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public IReadOnlyList<WorkerJob> CurrentJobs { get; set; } = [];
}

public sealed record WorkerJob(Guid Id, string Type);

/// <summary>GET /health: the dependencies' health (a 503 answer is returned as <c>degraded</c>, not thrown).</summary>
public sealed record Health
{
    public string Status { get; set; } = "";
    public IReadOnlyDictionary<string, string> Checks { get; set; } = new Dictionary<string, string>();
    public string? Uptime { get; init; }
}

/// <summary>The answer to a delete: the id and <c>deleted</c>.</summary>
public sealed record Deleted(Guid Id, string Status);

/// <summary>A cron schedule.</summary>
public sealed record CronSchedule
{
    public Guid Id { get; init; }
    public string Name { get; set; } = "";
    public string JobType { get; set; } = "";
    public string CronExpression { get; set; } = "";
    public string Timezone { get; set; } = "";
    public JsonElement Payload { get; init; }
    public string QueueName { get; set; } = "";
    public int Priority { get; init; }
    public int MaxAttempts { get; init; }
    public int? TimeoutSeconds { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; set; } = new Dictionary<string, string>();
    public bool Enabled { get; init; }
    public DateTimeOffset NextRunAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>POST /api/v1/cron.</summary>
public sealed record CreateCronRequest
{
    public required string Name { get; init; }
    public required string JobType { get; init; }
    /// <summary>5 fields, or 6 with seconds first.</summary>
    public required string CronExpression { get; init; }
    /// <summary>IANA zone (UTC).</summary>
    public string? Timezone { get; init; }
    public JsonElement? Payload { get; init; }
    public string? QueueName { get; init; }
    public int? Priority { get; init; }
    public int? MaxAttempts { get; init; }
    public int? TimeoutSeconds { get; init; }
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
    public bool? Enabled { get; init; }
}

/// <summary>PATCH /api/v1/cron/{id}: what is set changes (pause with <c>Enabled = false</c>).</summary>
public sealed record UpdateCronRequest
{
    public bool? Enabled { get; init; }
    public string? CronExpression { get; init; }
    public JsonElement? Payload { get; init; }
    public string? QueueName { get; init; }
    public int? Priority { get; init; }
    public string? Timezone { get; init; }
    public string? Name { get; init; }
    public int? MaxAttempts { get; init; }
}

/// <summary>A webhook subscription. <see cref="Secret"/> is set only in the answer to a create that generated it.</summary>
public sealed record Webhook
{
    public Guid Id { get; init; }
    public string Url { get; set; } = "";
    public IReadOnlyList<string> Events { get; set; } = [];
    public bool Enabled { get; init; }
    public string? Description { get; init; }
    public bool HasSecret { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? DisabledReason { get; init; }
    public DateTimeOffset? DisabledAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? Secret { get; init; }
}

/// <summary>POST /api/v1/webhooks.</summary>
public sealed record CreateWebhookRequest
{
    public required string Url { get; init; }
    /// <summary>Event names (job.completed, …); null: job.completed, job.failed and job.dead.</summary>
    public IReadOnlyList<string>? Events { get; init; }
    /// <summary>16–256 characters; generated (whsec_…) and returned once when null.</summary>
    public string? Secret { get; init; }
    public string? Description { get; init; }
}

/// <summary>PATCH /api/v1/webhooks/{id}: what is set changes (<c>Enabled = true</c> clears an automatic disable).</summary>
public sealed record UpdateWebhookRequest
{
    public string? Url { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public string? Secret { get; init; }
    public string? Description { get; init; }
    public bool? Enabled { get; init; }
}

/// <summary>One delivery of an event to a webhook, with every attempt.</summary>
public sealed record WebhookDelivery
{
    public Guid Id { get; init; }
    public string Event { get; set; } = "";
    public string EventId { get; set; } = "";
    public Guid? JobId { get; init; }
    /// <summary><c>pending</c>, <c>delivering</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "";
    public bool Delivered { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public IReadOnlyList<WebhookDeliveryAttempt> AttemptLog { get; set; } = [];
}

public sealed record WebhookDeliveryAttempt
{
    public int Attempt { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Null when there was no answer (timeout, refused connection, blocked address).</summary>
    public int? StatusCode { get; init; }
    public long LatencyMs { get; init; }
    public string? Error { get; init; }
    public bool Succeeded { get; init; }
}

/// <summary>A queued <c>webhook.test</c>: its delivery id is the X-Webhook-Id it will carry.</summary>
public sealed record WebhookTestResult(Guid DeliveryId, string Event);

/// <summary>An account key as listed (the key itself is shown only once, by <see cref="CreatedApiKey"/>).</summary>
public sealed record ApiKey
{
    public Guid Id { get; init; }
    public string Name { get; set; } = "";
    public string KeyPrefix { get; set; } = "";
    public string Tier { get; set; } = "";
    /// <summary>Jobs a month; -1 is unlimited.</summary>
    public long JobsLimit { get; init; }
    public bool Enabled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A new key: <see cref="Key"/> is shown this once.</summary>
public sealed record CreatedApiKey
{
    public Guid Id { get; init; }
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public string KeyPrefix { get; set; } = "";
    public string Tier { get; set; } = "";
    public long JobsLimit { get; init; }
    public DateTimeOffset ResetAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? Warning { get; init; }
}

public sealed record CreateKeyRequest(string? Name);

/// <summary>This month's usage of the caller's account.</summary>
public sealed record Usage
{
    public string Tier { get; set; } = "";
    public long JobsUsed { get; init; }
    /// <summary>-1 is unlimited.</summary>
    public long JobsLimit { get; init; }
    public double UsagePercent { get; init; }
    public bool LimitReached { get; init; }
    public DateTimeOffset ResetAt { get; init; }
    public Guid? KeyId { get; init; }
    public string? KeyPrefix { get; init; }
}

public sealed record User(Guid Id, string Email, DateTimeOffset CreatedAt);

/// <summary>E-mail and password of an account (register, login).</summary>
public sealed record Credentials(string Email, string Password);

/// <summary>A new account: its login token and first key (shown once).</summary>
public sealed record Registration
{
    public string Token { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; init; }
    public User User { get; set; } = new(Guid.Empty, "", default);
    public CreatedApiKey ApiKey { get; set; } = new();
}

/// <summary>A login: its token (24 h) and the account's keys.</summary>
public sealed record Login
{
    public string Token { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; init; }
    public User User { get; set; } = new(Guid.Empty, "", default);
    public IReadOnlyList<ApiKey> Keys { get; set; } = [];
}

/// <summary>POST /api/v1/workers/lease.</summary>
public sealed record LeaseRequest
{
    /// <summary>1–128 characters of [A-Za-z0-9._:@-].</summary>
    public required string WorkerId { get; init; }
    /// <summary>The job types this worker runs (1–100).</summary>
    public required IReadOnlyList<string> Types { get; init; }
    /// <summary>Null: every queue.</summary>
    public IReadOnlyList<string>? Queues { get; init; }
    /// <summary>1–100 (1).</summary>
    public int? Max { get; init; }
    /// <summary>5–3600 (30).</summary>
    public int? LeaseSeconds { get; init; }
    /// <summary>0–20 (0): how long to wait for a job when none is ready.</summary>
    public int? WaitSeconds { get; init; }
}

public sealed record HeartbeatRequest(string LeaseToken, JsonElement? Progress, int? LeaseSeconds);

public sealed record CompleteRequest(string LeaseToken, JsonElement? Result);

public sealed record FailRequest(string LeaseToken, string Error, bool Retryable);

/// <summary>The answer to a heartbeat: the lease's new end, and whether the job was asked to stop.</summary>
public sealed record HeartbeatResult(DateTimeOffset LeaseExpiresAt, bool CancelRequested);

/// <summary>One frame of the live stream (/ws): a job event, a worker heartbeat or the caller's stats.</summary>
public sealed record LiveFrame
{
    /// <summary><c>job.completed</c>, …, <c>worker.heartbeat</c>, <c>stats.update</c>.</summary>
    public string Type { get; set; } = "";
    public Guid? JobId { get; init; }
    public string? JobType { get; init; }
    public string? WorkerId { get; init; }
    public JsonElement? Payload { get; init; }
    /// <summary>Unix milliseconds.</summary>
    public long Ts { get; init; }
}
