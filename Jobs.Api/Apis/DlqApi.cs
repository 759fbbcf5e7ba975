using JobQueue.Core.Jobs;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Jobs.Api.Application;

namespace Jobs.Api.Apis;

/// <summary><c>/api/v1/dlq</c>: dead jobs, and requeueing one as a fresh job linked to its entry.</summary>
public static class DlqApi
{
    public static RouteGroupBuilder MapDlqApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/dlq").WithTags("DLQ").AddEndpointFilter<RequireCallerFilter>();
        api.MapGet("/", ListAsync);
        api.MapPost("/{id}/requeue", RequeueAsync);
        return api;
    }

    internal static async Task<IResult> ListAsync(HttpContext ctx, PostgresJobStore store)
    {
        var problem = QueryPaging.TryRead(ctx, out var limit, out var offset) ?? RequestReading.TryBool(ctx, "include_requeued", false, out _);
        if (problem is not null)
        {
            return ApiResults.BadRequest(ctx, problem);
        }

        RequestReading.TryBool(ctx, "include_requeued", false, out var includeRequeued);
        var (items, total) = await store.DlqListAsync(RequireCallerFilter.Get(ctx).ScopeOwner, includeRequeued, limit, offset, ctx.RequestAborted);
        return ApiResults.Page(ctx, items.Select(DlqEntryResponse.From).ToList(), total, limit, offset);
    }

    internal static async Task<IResult> RequeueAsync(HttpContext ctx, string id, PostgresJobStore store, JobEnqueuer enqueuer, TimeProvider time)
    {
        if (!RequestReading.TryId(id, out var entryId))
        {
            return RequestReading.BadId(ctx, "DLQ entry", id);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var result = await store.DlqRequeueAsync(entryId, RequireCallerFilter.Get(ctx).ScopeOwner, e => new Job
        {
            Id = Guid.Empty, // replaced by the store with the id it records on the entry
            Owner = e.Owner,
            ApiKeyId = e.ApiKeyId,
            Type = e.Type,
            Payload = e.Payload,
            Priority = e.Priority,
            MaxAttempts = e.MaxAttempts,
            QueueName = e.QueueName,
            ScheduledAt = now,
            CreatedAt = now,
            Tags = e.Tags,
        }, now, ctx.RequestAborted);

        if (result.NotFound)
        {
            return ApiResults.NotFound(ctx, $"DLQ entry {entryId} not found");
        }

        if (result.AlreadyRequeued)
        {
            return ApiResults.Conflict(ctx, $"DLQ entry {entryId} has already been requeued");
        }

        var job = result.NewJob!;
        await enqueuer.IndexAsync([new QueueEntry(job.Id, job.Type, job.QueueName, job.Priority, job.ScheduledAt)]);
        return ApiResults.Created(ctx, new { new_job = JobResponse.From(job), dlq_entry_id = entryId });
    }
}
