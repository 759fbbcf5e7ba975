using System.Diagnostics.Metrics;
using System.Globalization;
using Api.Gateway.Extensions;
using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Redis;
using StackExchange.Redis;
using Yarp.ReverseProxy.Model;

namespace Api.Gateway.RateLimiting;

/// <summary>
/// Per-caller token buckets in Redis, shared by every gateway replica, in YARP's pipeline (so only proxied paths are
/// limited: /health, /alive, /metrics are the gateway's own endpoints, and the dashboard's cluster is skipped).
/// It runs after authentication, which the original did not: its limiter ran before auth, so its per-key branch never
/// fired and every caller behind one address shared one bucket. Here the caller is resolved first, only to pick the
/// bucket; a request without valid credentials is not refused here (the service answers 401), only limited per address.
/// Every limited answer carries X-RateLimit-Limit (the burst), -Remaining and -Reset (whole seconds until full); a 429
/// also Retry-After (whole seconds, at least 1) and the JSON envelope.
/// </summary>
internal sealed class GatewayRateLimiter(
    RedisRateLimiter limiter,
    JobQueueSettings settings,
    TimeProvider time,
    ILogger<GatewayRateLimiter> logger)
{
    private static readonly Meter Meter = new("JobQueue.Gateway");

    private static readonly Counter<long> Limited =
        Meter.CreateCounter<long>("jobqueue.gateway.rate_limited", unit: "{request}", description: "Requests refused with 429 by the rate limiter");

    private static readonly Counter<long> FailedOpen =
        Meter.CreateCounter<long>("jobqueue.gateway.rate_limit_fail_open", unit: "{request}", description: "Requests let through unlimited because Redis was unreachable");

    /// <summary>One warning per interval while Redis is down, not one per request.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    private long _lastWarningTicks = long.MinValue;
    private long _failedOpenSinceWarning;

    public async Task InvokeAsync(HttpContext ctx, Func<Task> next)
    {
        if (ctx.GetReverseProxyFeature().Route.Config.ClusterId == GatewayRoutes.Dashboard)
        {
            await next(); // the single-page app's files: one page load is dozens of requests, and they cost nothing
            return;
        }

        var partition = RateLimitPartition.For(ctx.Request.Path, ctx.Connection.RemoteIpAddress, await ResolveCallerAsync(ctx), settings);
        var decision = await TryTakeAsync(partition);
        if (decision is not { } d)
        {
            await next();
            return;
        }

        var burst = partition.Policy.Burst;
        ctx.Response.OnStarting(() =>
        {
            // At the start of the answer, so headers survive whatever clears the response before it (an error envelope).
            var headers = ctx.Response.Headers;
            headers["X-RateLimit-Limit"] = burst.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Remaining"] = d.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset"] = WholeSeconds(d.ResetAfter, atLeast: 0).ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });

        if (d.Allowed)
        {
            await next();
            return;
        }

        Limited.Add(1);
        var retryAfter = WholeSeconds(d.RetryAfter, atLeast: 1);
        ctx.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await ApiResults.WriteErrorAsync(ctx, StatusCodes.Status429TooManyRequests,
            $"rate limit exceeded for {partition.Description}: {burst} requests at once, then {partition.Policy.TokensPerSecond.ToString(CultureInfo.InvariantCulture)} per second; retry in {retryAfter} s");
    }

    /// <summary>
    /// The caller, only to choose the bucket. When resolving fails because Postgres or Redis is unreachable (a resolver
    /// that looks keys up), the request is limited per address instead and the service behind gives the real answer.
    /// </summary>
    private async Task<Caller?> ResolveCallerAsync(HttpContext ctx)
    {
        try
        {
            // From the request's services, not the constructor: a resolver that looks keys up may be scoped.
            return (await ctx.RequestServices.GetRequiredService<ICallerResolver>().ResolveAsync(ctx)).Caller;
        }
        catch (Exception ex) when (ErrorEnvelopeMiddleware.IsUnavailable(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// Takes a token, or null to fail open. Why open: Postgres is the truth and Redis only an index and a cache; if a
    /// lost Redis also closed the gateway, one Redis outage would take the whole API down, even the reads and enqueues
    /// that work without it. Limits come back by themselves when Redis does. While the connection is known to be down,
    /// Redis is not even asked: a command would wait in the client's backlog for its full timeout on every request.
    /// </summary>
    private async Task<RateLimitDecision?> TryTakeAsync(RateLimitPartition partition)
    {
        if (!limiter.IsConnected)
        {
            FailOpen("not connected", null);
            return null;
        }

        try
        {
            return await limiter.TakeAsync(partition.Bucket, partition.Policy);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            FailOpen(ex.GetType().Name, ex);
            return null;
        }
    }

    private void FailOpen(string reason, Exception? ex)
    {
        FailedOpen.Add(1);
        var count = Interlocked.Increment(ref _failedOpenSinceWarning);
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTicks);
        var due = last == long.MinValue || time.GetElapsedTime(last, now) >= WarningInterval;
        if (due && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
        {
            Interlocked.Exchange(ref _failedOpenSinceWarning, 0);
            Log.RateLimitFailingOpen(logger, reason, count, ex);
        }
    }

    private static long WholeSeconds(TimeSpan span, long atLeast) =>
        Math.Max(atLeast, (long)Math.Ceiling(span.TotalSeconds));
}
