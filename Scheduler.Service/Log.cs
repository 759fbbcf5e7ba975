namespace Scheduler.Service;

/// <summary>Every log message of the scheduler, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Scheduler replica {Replica} became leader")]
    public static partial void BecameLeader(this ILogger logger, string replica);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Scheduler replica {Replica} is no longer leader")]
    public static partial void LostLeadership(this ILogger logger, string replica);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Leader check failed: {Reason}")]
    public static partial void LeaderCheckFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "{Role} failed, retrying in {Delay}: {Reason}")]
    public static partial void RoleFailed(this ILogger logger, string role, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "{Role}: Redis unreachable, retrying in {Delay}: {Reason}")]
    public static partial void RedisDown(this ILogger logger, string role, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Redis index is incomplete (new or flushed Redis): rebuilding it from Postgres")]
    public static partial void IndexRebuildStarted(this ILogger logger);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Rebuilt the Redis index from Postgres: {Count} waiting jobs in {Pages} pages, {ElapsedMs} ms")]
    public static partial void IndexRebuilt(this ILogger logger, int count, int pages, long elapsedMs);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Put back {Count} of {Expired} jobs popped from Redis but never claimed in Postgres")]
    public static partial void ClaimsRescued(this ILogger logger, int count, int expired);

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Lease expired: {Rescued} jobs back to pending, {Killed} moved to the DLQ on their last attempt")]
    public static partial void LeasesRescued(this ILogger logger, int rescued, int killed);

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Re-indexed {Count} waiting jobs that were missing from Redis")]
    public static partial void StaleReindexed(this ILogger logger, int count);

    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Purged {Jobs} expired jobs, {DlqEntries} DLQ entries and {Workers} gone workers")]
    public static partial void Purged(this ILogger logger, int jobs, int dlqEntries, int workers);

    [LoggerMessage(EventId = 80, Level = LogLevel.Information, Message = "Cron: enqueued {Count} jobs for due schedules")]
    public static partial void CronFired(this ILogger logger, int count);

    [LoggerMessage(EventId = 81, Level = LogLevel.Warning, Message = "Cron schedule {Id} ({Name}) cannot be planned and was skipped: {Reason}")]
    public static partial void CronUnplannable(this ILogger logger, Guid id, string name, string reason);
}
