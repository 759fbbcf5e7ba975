namespace Api.Gateway;

/// <summary>The gateway's own log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiting is failing open: Redis is unreachable ({Reason}); {Count} requests passed unlimited since the last warning")]
    public static partial void RateLimitFailingOpen(ILogger logger, string reason, long count, Exception? exception);
}
