using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;
using Jobs.Api.Workers;

namespace Jobs.Api.Apis;

/// <summary>
/// The lease protocol that lets any process that speaks HTTP run jobs: <c>POST /api/v1/workers/lease</c>, then per
/// job <c>heartbeat</c>, <c>complete</c> or <c>fail</c> with the lease token, and <c>DELETE /api/v1/workers/{id}</c>
/// when the worker stops. Tenant-scoped: a key leases only its tenant's jobs (the admin key any tenant's).
/// </summary>
public static class RemoteWorkersApi
{
    public static IEndpointRouteBuilder MapRemoteWorkersApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/workers/lease", LeaseAsync).WithTags("Workers").AddEndpointFilter<RequireCallerFilter>();
        app.MapDelete("/api/v1/workers/{id}", StopAsync).WithTags("Workers").AddEndpointFilter<RequireCallerFilter>();
        var job = app.MapGroup("/api/v1/jobs/{id}").WithTags("Workers").AddEndpointFilter<RequireCallerFilter>();
        job.MapPost("/heartbeat", HeartbeatAsync);
        job.MapPost("/complete", CompleteAsync);
        job.MapPost("/fail", FailAsync);
        return app;
    }

    internal static async Task<IResult> LeaseAsync(HttpContext ctx, RemoteWorkers remote)
    {
        var (doc, error) = await RequestReading.ReadJsonAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            if (LeaseRequestValidator.TryValidateLease(doc!.RootElement, out var spec) is { } invalid)
            {
                return RequestReading.ErrorFor(ctx, invalid);
            }

            var jobs = await remote.LeaseAsync(RequireCallerFilter.Get(ctx), spec!, ctx.RequestAborted);
            return jobs is null
                ? ApiResults.Conflict(ctx, $"worker id '{spec!.WorkerId}' is taken by a built-in worker or a live worker of another tenant: choose another")
                : ApiResults.Ok(ctx, jobs.Select(LeasedJobResponse.From).ToList());
        }
    }

    internal static async Task<IResult> HeartbeatAsync(HttpContext ctx, string id, RemoteWorkers remote) =>
        await ReportAsync(ctx, id, LeaseRequestValidator.TryValidateHeartbeat, async (caller, jobId, report) =>
        {
            var (lease, refusal) = await remote.HeartbeatAsync(caller, jobId, report, ctx.RequestAborted);
            return lease is null ? Refused(ctx, jobId, refusal) : ApiResults.Ok(ctx, new HeartbeatResponse(lease.LeaseUntil, lease.CancelRequested));
        });

    internal static async Task<IResult> CompleteAsync(HttpContext ctx, string id, RemoteWorkers remote) =>
        await ReportAsync(ctx, id, LeaseRequestValidator.TryValidateComplete, async (caller, jobId, report) =>
        {
            var (job, refusal) = await remote.CompleteAsync(caller, jobId, report, ctx.RequestAborted);
            return job is null ? Refused(ctx, jobId, refusal) : ApiResults.Ok(ctx, JobResponse.From(job));
        });

    internal static async Task<IResult> FailAsync(HttpContext ctx, string id, RemoteWorkers remote) =>
        await ReportAsync(ctx, id, LeaseRequestValidator.TryValidateFail, async (caller, jobId, report) =>
        {
            var (job, refusal) = await remote.FailAsync(caller, jobId, report, ctx.RequestAborted);
            return job is null ? Refused(ctx, jobId, refusal) : ApiResults.Ok(ctx, JobResponse.From(job));
        });

    internal static async Task<IResult> StopAsync(HttpContext ctx, string id, RemoteWorkers remote) =>
        await remote.StopAsync(RequireCallerFilter.Get(ctx), id, ctx.RequestAborted)
            ? TypedResults.NoContent()
            : ApiResults.NotFound(ctx, $"remote worker '{id}' not found");

    private delegate RequestError? ReportValidator(System.Text.Json.JsonElement body, out LeaseReport? report);

    private static async Task<IResult> ReportAsync(HttpContext ctx, string id, ReportValidator validate, Func<Caller, Guid, LeaseReport, Task<IResult>> handle)
    {
        if (!RequestReading.TryId(id, out var jobId))
        {
            return RequestReading.BadId(ctx, "job", id);
        }

        var (doc, error) = await RequestReading.ReadJsonAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            return validate(doc!.RootElement, out var report) is { } invalid
                ? RequestReading.ErrorFor(ctx, invalid)
                : await handle(RequireCallerFilter.Get(ctx), jobId, report!);
        }
    }

    private static IResult Refused(HttpContext ctx, Guid id, LeaseRefusal refusal) => refusal == LeaseRefusal.NotFound
        ? ApiResults.NotFound(ctx, $"job {id} not found")
        : ApiResults.Conflict(ctx, $"job {id} is not leased with this token: the lease expired (the job runs again) or another attempt holds it");
}
