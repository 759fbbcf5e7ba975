namespace Api.Gateway;

/// <summary>The gateway's own log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiting is failing open: Redis is unreachable ({Reason}); {Count} requests passed unlimited since the last warning")]
    public static partial void RateLimitFailingOpen(ILogger logger, string reason, long count, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "/metrics: {Source} is unreachable ({Reason}); its values are left out until it answers again")]
    public static partial void MetricsSourceDown(ILogger logger, string source, string reason, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}: forwarding failed ({Error}: {Reason})")]
    public static partial void ForwardFailed(ILogger logger, string method, string path, int status, Yarp.ReverseProxy.Forwarder.ForwarderError error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "/metrics: {Source} answers again")]
    public static partial void MetricsSourceBack(ILogger logger, string source);
}
