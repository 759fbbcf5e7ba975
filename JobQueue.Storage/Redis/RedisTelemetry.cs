using System.Diagnostics;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>
/// Client spans of the Redis calls that matter (every Lua script: enqueue, claim, promote, rate limit, …), named as the
/// OpenTelemetry database conventions name them. The StackExchange.Redis instrumentation package is not available
/// here, so the store records its own. Without a tracing listener <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null and a call costs nothing more.
/// </summary>
public static class RedisTelemetry
{
    /// <summary>The source name (matched by the <c>JobQueue.*</c> source filter of ServiceDefaults).</summary>
    public const string SourceName = "JobQueue.Redis";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts a client span <c>{operation} {summary}</c>, e.g. <c>EVALSHA enqueue</c>, as a child of the current span;
    /// null when nobody listens or when there is no current span (the scheduler's and workers' polling loops would
    /// otherwise start a root trace several times a second).
    /// </summary>
    public static Activity? StartCall(string operation, string summary, RedisKey firstKey = default)
    {
        if (Activity.Current is null)
        {
            return null;
        }

        var activity = Source.StartActivity(operation + " " + summary, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("db.system.name", "redis");
        activity.SetTag("db.operation.name", operation);
        activity.SetTag("db.query.summary", summary);
        if ((string?)firstKey is { } key)
        {
            activity.SetTag("db.redis.key", key);
        }

        return activity;
    }
}
