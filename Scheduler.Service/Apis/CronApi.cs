using System.Text.Json;
using System.Text.Json.Serialization;
using JobQueue.Core.Configuration;
using JobQueue.Core.Cron;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;

namespace Scheduler.Service.Apis;

/// <summary>
/// <c>/api/v1/cron</c>: the caller's cron schedules (list, create, read, change, delete). Every query is scoped to
/// the caller's tenant; another tenant's schedule answers 404. Bodies are read strictly (unknown fields refused),
/// with Jobs.Api's split: malformed (wrong JSON type, unknown field) 400, a value breaking a rule 422.
/// </summary>
public static class CronApi
{
    public static RouteGroupBuilder MapCronApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/cron").WithTags("Cron").AddEndpointFilter<RequireCallerFilter>();
        api.MapGet("/", ListAsync);
        api.MapPost("/", CreateAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapPatch("/{id}", PatchAsync);
        api.MapDelete("/{id}", DeleteAsync);
        return api;
    }

    internal static async Task<IResult> ListAsync(HttpContext ctx, PostgresCronStore store)
    {
        var schedules = await store.CronListAsync(RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return ApiResults.Ok(ctx, schedules.Select(CronScheduleResponse.From).ToList());
    }

    internal static async Task<IResult> CreateAsync(HttpContext ctx, PostgresCronStore store, JobQueueSettings settings, TimeProvider time)
    {
        var (doc, error) = await JsonBody.ReadAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var invalid = CronRequestValidator.TryValidateCreate(doc!.RootElement, settings.RetryDefaultMaxAttempts, out var spec);
            if (invalid is not null)
            {
                return JsonBody.ErrorFor(ctx, invalid);
            }

            var schedule = spec!.ToSchedule(RequireCallerFilter.Get(ctx).Owner, Now(time));
            if (!await store.CronInsertAsync(schedule, ctx.RequestAborted))
            {
                return ApiResults.Conflict(ctx, $"a cron schedule named '{schedule.Name}' already exists");
            }

            return ApiResults.Created(ctx, CronScheduleResponse.From(schedule));
        }
    }

    internal static async Task<IResult> GetAsync(HttpContext ctx, string id, PostgresCronStore store)
    {
        if (!Guid.TryParseExact(id, "D", out var scheduleId))
        {
            return BadId(ctx, id);
        }

        var schedule = await store.CronGetAsync(scheduleId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return schedule is null ? NotFound(ctx, scheduleId) : ApiResults.Ok(ctx, CronScheduleResponse.From(schedule));
    }

    /// <summary>Changes any of enabled, cron_expression, payload, queue_name, priority, timezone, name, max_attempts.</summary>
    internal static async Task<IResult> PatchAsync(HttpContext ctx, string id, PostgresCronStore store, TimeProvider time)
    {
        if (!Guid.TryParseExact(id, "D", out var scheduleId))
        {
            return BadId(ctx, id);
        }

        var (doc, error) = await JsonBody.ReadAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var invalid = CronRequestValidator.TryValidatePatch(doc!.RootElement, out var patch);
            if (invalid is not null)
            {
                return JsonBody.ErrorFor(ctx, invalid);
            }

            var now = Now(time);
            var result = await store.CronUpdateAsync(scheduleId, RequireCallerFilter.Get(ctx).ScopeOwner, s => s.With(patch!, now), ctx.RequestAborted);
            if (result.NotFound)
            {
                return NotFound(ctx, scheduleId);
            }

            return result.NameTaken
                ? ApiResults.Conflict(ctx, $"a cron schedule named '{patch!.Name}' already exists")
                : ApiResults.Ok(ctx, CronScheduleResponse.From(result.Schedule!));
        }
    }

    internal static async Task<IResult> DeleteAsync(HttpContext ctx, string id, PostgresCronStore store)
    {
        if (!Guid.TryParseExact(id, "D", out var scheduleId))
        {
            return BadId(ctx, id);
        }

        return await store.CronDeleteAsync(scheduleId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted)
            ? ApiResults.Ok(ctx, new { id = scheduleId, status = "deleted" })
            : NotFound(ctx, scheduleId);
    }

    // Postgres keeps microseconds: truncate so the answer shows what a later read will.
    private static DateTime Now(TimeProvider time)
    {
        var t = time.GetUtcNow().UtcDateTime;
        return new DateTime(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc);
    }

    private static IResult NotFound(HttpContext ctx, Guid id) => ApiResults.NotFound(ctx, $"cron schedule {id} not found");

    private static IResult BadId(HttpContext ctx, string raw) => ApiResults.BadRequest(ctx, $"invalid cron schedule id '{raw}': must be a UUID");
}

/// <summary>A cron schedule as the API shows it: the original's fields plus timezone, timeout, tags and timestamps.</summary>
public sealed record CronScheduleResponse(
    Guid Id,
    string Name,
    string JobType,
    string CronExpression,
    string Timezone,
    [property: JsonConverter(typeof(RawJsonConverter))] string Payload,
    string QueueName,
    int Priority,
    int MaxAttempts,
    int? TimeoutSeconds,
    [property: JsonConverter(typeof(RawJsonConverter))] string Tags,
    bool Enabled,
    DateTime NextRunAt,
    DateTime? LastRunAt,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public static CronScheduleResponse From(CronSchedule s) => new(
        s.Id, s.Name, s.JobType, s.CronExpression, s.Timezone, s.Payload, s.QueueName, s.Priority, s.MaxAttempts, s.TimeoutSeconds,
        s.Tags, s.Enabled, s.NextRunAt, s.LastRunAt, s.CreatedAt, s.UpdatedAt);
}
