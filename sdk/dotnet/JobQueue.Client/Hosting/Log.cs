using Microsoft.Extensions.Logging;

namespace JobQueue.Client.Hosting;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "JobQueue worker {WorkerId} leasing {Types} with {Concurrency} slots")]
    public static partial void Started(ILogger logger, string workerId, string types, int concurrency);

    [LoggerMessage(2, LogLevel.Warning, "Leasing failed; trying again in {Delay}")]
    public static partial void LeaseFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Warning, "Heartbeat of job {JobId} failed")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(4, LogLevel.Warning, "Job {JobId} lost its lease ({Reason}); its outcome is not reported")]
    public static partial void LeaseLost(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Reporting the outcome of job {JobId} failed")]
    public static partial void ReportFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(6, LogLevel.Information, "Job {JobId} ({Type}) failed: {Error}")]
    public static partial void JobFailed(ILogger logger, Guid jobId, string type, string error);

    [LoggerMessage(7, LogLevel.Warning, "Shutdown timeout passed: cancelling {Count} running jobs")]
    public static partial void Aborting(ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Information, "JobQueue worker {WorkerId} stopped")]
    public static partial void Stopped(ILogger logger, string workerId);

    [LoggerMessage(9, LogLevel.Warning, "Telling the server that worker {WorkerId} stopped failed")]
    public static partial void StopReportFailed(ILogger logger, Exception exception, string workerId);
}
