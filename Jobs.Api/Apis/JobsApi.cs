using System.Globalization;
using System.Text;
using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Jobs.Api.Application;

namespace Jobs.Api.Apis;

/// <summary><c>/api/v1/jobs</c>: enqueue (one or a batch), read, list, cancel, retry, purge.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/jobs").WithTags("Jobs").AddEndpointFilter<RequireCallerFilter>();
        api.MapPost("/", EnqueueAsync);
        api.MapPost("/batch", EnqueueBatchAsync);
        api.MapGet("/", ListAsync);
        api.MapGet("/cursor", ListByCursorAsync);
        api.MapDelete("/", PurgeAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapGet("/{id}/result", GetResultAsync);
        api.MapGet("/{id}/attempts", GetAttemptsAsync);
        api.MapDelete("/{id}", CancelAsync);
        api.MapPost("/{id}/retry", RetryAsync);
        return api;
    }

    internal static async Task<IResult> EnqueueAsync(HttpContext ctx, JobEnqueuer enqueuer, JobQueueSettings settings, TimeProvider time)
    {
        var (doc, error) = await RequestReading.ReadJsonAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var invalid = EnqueueRequestValidator.TryValidate(doc!.RootElement, time.GetUtcNow().UtcDateTime, settings.RetryDefaultMaxAttempts, out var spec);
            if (invalid is not null)
            {
                return RequestReading.ErrorFor(ctx, invalid);
            }

            var (jobs, refused) = await TryEnqueueAsync(ctx, enqueuer, [spec!]);
            return refused ?? ApiResults.Created(ctx, JobResponse.From(jobs![0]));
        }
    }

    /// <summary>Enqueues for the caller, or the refusal: 429 over the monthly limit, 401 when the key was deleted meanwhile.</summary>
    private static async Task<(IReadOnlyList<Job>? Jobs, IResult? Refused)> TryEnqueueAsync(HttpContext ctx, JobEnqueuer enqueuer, IReadOnlyList<EnqueueSpec> specs)
    {
        try
        {
            return (await enqueuer.EnqueueAsync(RequireCallerFilter.Get(ctx), specs, ctx.RequestAborted), null);
        }
        catch (UsageLimitExceededException ex)
        {
            ctx.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((ex.ResetAt - DateTimeOffset.UtcNow).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (null, ApiResults.Error(ctx, StatusCodes.Status429TooManyRequests, ex.Message));
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.ForeignKeyViolation)
        {
            // The key was deleted between authentication and the usage count: it no longer exists.
            return (null, ApiResults.Error(ctx, StatusCodes.Status401Unauthorized, "this API key was deleted"));
        }
    }

    internal static async Task<IResult> EnqueueBatchAsync(HttpContext ctx, JobEnqueuer enqueuer, JobQueueSettings settings, TimeProvider time)
    {
        var (doc, error) = await RequestReading.ReadJsonAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var invalid = EnqueueRequestValidator.TryValidateBatch(doc!.RootElement, time.GetUtcNow().UtcDateTime, settings.RetryDefaultMaxAttempts, out var specs);
            if (invalid is not null)
            {
                return RequestReading.ErrorFor(ctx, invalid);
            }

            var (jobs, refused) = await TryEnqueueAsync(ctx, enqueuer, specs);
            return refused ?? ApiResults.Created(ctx, jobs!.Select(JobResponse.From).ToList());
        }
    }

    internal static async Task<IResult> GetAsync(HttpContext ctx, string id, PostgresJobStore store)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var job = await store.JobsGetAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return job is null ? ApiResults.NotFound(ctx, $"job {jobId} not found") : ApiResults.Ok(ctx, JobResponse.From(job));
    }

    internal static async Task<IResult> GetAttemptsAsync(HttpContext ctx, string id, PostgresJobStore store)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var attempts = await store.JobsAttemptsAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return attempts is null ? ApiResults.NotFound(ctx, $"job {jobId} not found") : ApiResults.Ok(ctx, new JobAttemptList(attempts));
    }

    /// <summary>The stored result (204 while there is none yet). Unlike the original, it comes in the envelope.</summary>
    internal static async Task<IResult> GetResultAsync(HttpContext ctx, string id, PostgresJobStore store)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var row = await store.JobsGetResultAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        if (row is null)
        {
            return ApiResults.NotFound(ctx, $"job {jobId} not found");
        }

        if (row.Value.Result is null)
        {
            ctx.Response.Headers["X-Job-Status"] = row.Value.Status;
            return TypedResults.NoContent();
        }

        // The stored JSON itself, not in the envelope: the original's clients parse the body as the result.
        return TypedResults.Text(row.Value.Result, "application/json", System.Text.Encoding.UTF8);
    }

    internal static async Task<IResult> ListAsync(HttpContext ctx, PostgresJobStore store)
    {
        var caller = RequireCallerFilter.Get(ctx);
        var problem = RequestReading.TryFilter(ctx, caller.ScopeOwner, out var filter) ?? QueryPaging.TryRead(ctx, out var limit, out var offset);
        if (problem is not null)
        {
            return ApiResults.BadRequest(ctx, problem);
        }

        QueryPaging.TryRead(ctx, out limit, out offset);
        var (items, total) = await store.JobsListAsync(filter, limit, offset, ctx.RequestAborted);
        return ApiResults.Page(ctx, items.Select(JobResponse.From).ToList(), total, limit, offset);
    }

    /// <summary>
    /// Keyset pages ordered by (created_at, id) descending. The cursor is base64("created_at|id") as in the original;
    /// a job inserted meanwhile is newer than every cursor, so pages neither repeat nor skip.
    /// </summary>
    internal static async Task<IResult> ListByCursorAsync(HttpContext ctx, PostgresJobStore store)
    {
        var caller = RequestReading.TryFilter(ctx, RequireCallerFilter.Get(ctx).ScopeOwner, out var filter) ?? QueryPaging.TryRead(ctx, out _, out _);
        if (caller is not null)
        {
            return ApiResults.BadRequest(ctx, caller);
        }

        QueryPaging.TryRead(ctx, out var limit, out _);
        (DateTime, Guid)? position = null;
        if (ctx.Request.Query["cursor"].ToString() is { Length: > 0 } raw)
        {
            if (!Cursor.TryDecode(raw, out var at, out var cid))
            {
                return ApiResults.BadRequest(ctx, "invalid cursor: pass back the next_cursor of a previous page");
            }

            position = (at, cid);
        }

        var rows = await store.JobsListAfterAsync(filter, position, limit + 1, ctx.RequestAborted);
        var hasMore = rows.Count > limit;
        var page = rows.Take(limit).ToList();
        var next = hasMore ? Cursor.Encode(page[^1].CreatedAt, page[^1].Id) : null;
        return ApiResults.Ok(ctx, new CursorPage(page.Select(JobResponse.From).ToList(), next, hasMore, limit));
    }

    internal static async Task<IResult> PurgeAsync(HttpContext ctx, PostgresJobStore store)
    {
        var before = ctx.Request.Query["before"].ToString();
        if (before.Length == 0)
        {
            return ApiResults.BadRequest(ctx, "query parameter 'before' (RFC 3339) is required: terminal jobs that ended before it are deleted");
        }

        if (!EnqueueRequestValidator.TryParseRfc3339(before, out var at))
        {
            return ApiResults.BadRequest(ctx, $"'before' is not an RFC 3339 timestamp: '{before}'");
        }

        var deleted = await store.JobsPurgeAsync(RequireCallerFilter.Get(ctx).ScopeOwner, at, ctx.RequestAborted);
        return ApiResults.Ok(ctx, new { deleted });
    }

    /// <summary>
    /// Cancel: a waiting (pending, scheduled or retry-waiting) job is cancelled at once and never runs; a running job's
    /// worker is told, its handler's token fires and the job ends <c>cancelled</c> (202 until then).
    /// </summary>
    internal static async Task<IResult> CancelAsync(HttpContext ctx, string id, PostgresJobStore store, RedisBroker broker, TimeProvider time)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var (outcome, queue) = await store.JobsCancelAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, time.GetUtcNow().UtcDateTime, ctx.RequestAborted);
        switch (outcome)
        {
            case CancelOutcome.Cancelled:
                await TryRedis(() => broker.RemoveReadyAsync(jobId, queue!));
                return ApiResults.Ok(ctx, new { id = jobId, status = "cancelled" });
            case CancelOutcome.CancelRequested:
                await TryRedis(() => broker.PublishCancelAsync(jobId));
                return ApiResults.Accepted(ctx, new { id = jobId, status = "running", cancel_requested = true });
            case CancelOutcome.NotFound:
                return ApiResults.NotFound(ctx, $"job {jobId} not found");
            default:
                var job = await store.JobsGetAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
                return ApiResults.Conflict(ctx, $"job {jobId} has already ended ({job?.Status.ToWire() ?? "gone"}) and cannot be cancelled");
        }
    }

    internal static async Task<IResult> RetryAsync(HttpContext ctx, string id, PostgresJobStore store, JobEnqueuer enqueuer, TimeProvider time)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var (job, status) = await store.JobsRetryAsync(jobId, RequireCallerFilter.Get(ctx).ScopeOwner, time.GetUtcNow().UtcDateTime, ctx.RequestAborted);
        if (job is null)
        {
            return status is null
                ? ApiResults.NotFound(ctx, $"job {jobId} not found")
                : ApiResults.Conflict(ctx, $"only failed or dead jobs can be retried; job {jobId} is {status}");
        }

        await enqueuer.IndexAsync([new QueueEntry(job.Id, job.Type, job.QueueName, job.Priority, job.ScheduledAt)]);
        return ApiResults.Ok(ctx, JobResponse.From(job));
    }

    private static async Task TryRedis(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (StackExchange.Redis.RedisException)
        {
            // The Postgres state is the truth: a stale ready entry is refused by the claim CAS, and a running job
            // whose cancel message was lost is cancelled at its worker's next heartbeat (cancel_requested).
        }
    }
}

/// <summary>The cursor of <c>/jobs/cursor</c>: base64 of <c>created_at(RFC 3339, µs)|id</c>, as the original encodes it.</summary>
public static class Cursor
{
    public static string Encode(DateTime createdAt, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(createdAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) + "|" + id));

    public static bool TryDecode(string cursor, out DateTime createdAt, out Guid id)
    {
        createdAt = default;
        id = default;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar > 0
                && EnqueueRequestValidator.TryParseRfc3339(text[..bar], out createdAt)
                && Guid.TryParse(text[(bar + 1)..], out id);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
