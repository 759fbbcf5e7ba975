namespace Worker.Service;

/// <summary>
/// Every log line of the worker, source-generated (no boxing, no formatting unless the level is enabled). Nothing
/// here is logged per job at Information: at 10,000 jobs/s a line per job would cost more than the job.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} started: {Slots} slots, claim batch {Batch}, queues {Queues}")]
    public static partial void WorkerStarted(this ILogger logger, string workerId, int slots, int batch, string queues);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker cannot start yet ({Reason}); retrying")]
    public static partial void StartupWaiting(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claim failed: {Reason}")]
    public static partial void ClaimFailed(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no more claims; waiting up to {Timeout} for {Running} running jobs")]
    public static partial void Draining(this ILogger logger, TimeSpan timeout, int running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached: cancelling {Count} running jobs and handing them back")]
    public static partial void DrainDeadline(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed back {Count} jobs to the queue")]
    public static partial void HandedBack(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} stopped after {Processed} jobs")]
    public static partial void WorkerStopped(this ILogger logger, string workerId, long processed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed: {Reason}")]
    public static partial void HeartbeatFailed(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "worker.heartbeat not published ({Reason}); the next heartbeat tries again")]
    public static partial void HeartbeatPublishFailed(this ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} lost its lease while running (rescued elsewhere); its handler is cancelled")]
    public static partial void LeaseLostWhileRunning(this ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Outcome} failed (try {Try}): {Reason}")]
    public static partial void OutcomeRetry(this ILogger logger, string outcome, int @try, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record {Outcome} ({Reason}); the lease will expire and the scheduler will run the job again")]
    public static partial void OutcomeLost(this ILogger logger, string outcome, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} completions refused: their leases had expired and the jobs were rescued")]
    public static partial void LateCompletions(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Outcome} refused, the lease was lost (the job was rescued or moved on)")]
    public static partial void LateAnswer(this ILogger logger, Guid jobId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the result could not be stored ({Reason}); the attempt fails")]
    public static partial void ResultNotStored(this ILogger logger, Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} ({Type}) attempt {Attempt} failed: {Error}")]
    public static partial void JobFailed(this ILogger logger, Guid jobId, string type, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} cancelled while running")]
    public static partial void JobCancelled(this ILogger logger, Guid jobId);
}
