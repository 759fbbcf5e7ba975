using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;

namespace Jobs.Api.Apis;

/// <summary><c>/api/v1/stats</c> (scoped to the caller) and <c>/api/v1/workers</c>.</summary>
public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/stats", StatsAsync).WithTags("Stats").AddEndpointFilter<RequireCallerFilter>();
        app.MapGet("/api/v1/workers", WorkersAsync).WithTags("Workers").AddEndpointFilter<RequireCallerFilter>();
        return app;
    }

    internal static async Task<IResult> StatsAsync(HttpContext ctx, PostgresJobStore store, JobQueueSettings settings, TimeProvider time)
    {
        var stats = await store.JobsStatsAsync(RequireCallerFilter.Get(ctx).ScopeOwner, time.GetUtcNow().UtcDateTime, StaleAfter(settings), ctx.RequestAborted);
        return ApiResults.Ok(ctx, StatsResponse.From(stats));
    }

    internal static async Task<IResult> WorkersAsync(HttpContext ctx, PostgresWorkerStore workers, JobQueueSettings settings, TimeProvider time)
    {
        var problem = RequestReading.TryBool(ctx, "active_only", true, out var activeOnly);
        if (problem is not null)
        {
            return ApiResults.BadRequest(ctx, problem);
        }

        var list = await workers.WorkersListAsync(RequireCallerFilter.Get(ctx).ScopeOwner, activeOnly, time.GetUtcNow().UtcDateTime, StaleAfter(settings), ctx.RequestAborted);
        return ApiResults.Ok(ctx, list);
    }

    /// <summary>A worker that missed three heartbeats is no longer counted as active.</summary>
    internal static TimeSpan StaleAfter(JobQueueSettings s) => s.WorkerHeartbeatInterval * 3;
}
