using System.Text.Json;
using System.Text.Json.Serialization;
using JobQueue.Core.Events;
using JobQueue.Core.Net;
using JobQueue.Core.Validation;
using JobQueue.Core.Webhooks;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;
using Webhook.Dispatcher.Delivery;

namespace Webhook.Dispatcher.Apis;

/// <summary>
/// <c>/api/v1/webhooks</c>: the caller's subscriptions (list, create, read, change, delete), their delivery log, and a
/// test delivery. Scoped to the caller's tenant: another tenant's subscription answers 404. The secret is
/// write-only: a generated one is shown once, in the answer to the POST that made it, and never again (the
/// original's list returned every tenant's secrets).
/// </summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").AddEndpointFilter<RequireCallerFilter>();
        api.MapGet("/", ListAsync);
        api.MapPost("/", CreateAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapPatch("/{id}", PatchAsync);
        api.MapDelete("/{id}", DeleteAsync);
        api.MapGet("/{id}/deliveries", DeliveriesAsync);
        api.MapPost("/{id}/test", TestAsync);
        return api;
    }

    internal static async Task<IResult> ListAsync(HttpContext ctx, WebhookStore store)
    {
        var webhooks = await store.WebhooksListAsync(RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return ApiResults.Ok(ctx, webhooks.Select(w => WebhookResponse.From(w)).ToList());
    }

    internal static async Task<IResult> CreateAsync(HttpContext ctx, WebhookStore store, SigningSecrets secrets, OutboundAddressPolicy policy, TimeProvider time)
    {
        var (doc, error) = await JsonBody.ReadAsync(ctx);
        if (error is not null)
        {
            return error;
        }

        using (doc)
        {
            var invalid = WebhookRequestValidator.TryValidateCreate(doc!.RootElement, policy, out var spec);
            if (invalid is not null)
            {
                return JsonBody.ErrorFor(ctx, invalid);
            }

            var now = PostgresTime.Now(time);
            var generated = spec!.Secret is null ? WebhookSignature.GenerateSecret() : null;
            var webhook = new WebhookSubscription
            {
                Id = Guid.CreateVersion7(),
                Owner = RequireCallerFilter.Get(ctx).Owner,
                Url = spec.Url,
                ProtectedSecret = secrets.Protect(spec.Secret ?? generated!),
                Events = [.. spec.Events],
                Enabled = spec.Enabled,
                Description = spec.Description,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await store.WebhooksInsertAsync(webhook, ctx.RequestAborted);
            return ApiResults.Created(ctx, WebhookResponse.From(webhook, generated));
        }
    }

    internal static async Task<IResult> GetAsync(HttpContext ctx, string id, WebhookStore store)
    {
        if (!Guid.TryParseExact(id, "D", out var webhookId))
        {
            return BadId(ctx, id);
        }

        var webhook = await store.WebhooksGetAsync(webhookId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        return webhook is null ? NotFound(ctx, webhookId) : ApiResults.Ok(ctx, WebhookResponse.From(webhook));
    }

    /// <summary>Changes any of url, events, secret (rotation), description, enabled; enabling clears an automatic disable.</summary>
    internal static async Task<IResult> PatchAsync(HttpContext ctx, string id, WebhookStore store, SigningSecrets secrets, OutboundAddressPolicy policy, TimeProvider time)
    {
        if (!Guid.TryParseExact(id, "D", out var webhookId))
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
            var invalid = WebhookRequestValidator.TryValidatePatch(doc!.RootElement, policy, out var patch);
            if (invalid is not null)
            {
                return JsonBody.ErrorFor(ctx, invalid);
            }

            var now = PostgresTime.Now(time);
            var rotated = patch!.Secret is null ? null : secrets.Protect(patch.Secret);
            var updated = await store.WebhooksUpdateAsync(webhookId, RequireCallerFilter.Get(ctx).ScopeOwner, w => Apply(w, patch, rotated, now), ctx.RequestAborted);
            return updated is null ? NotFound(ctx, webhookId) : ApiResults.Ok(ctx, WebhookResponse.From(updated));
        }
    }

    private static WebhookSubscription Apply(WebhookSubscription w, WebhookPatch p, string? rotatedProtectedSecret, DateTime now)
    {
        var reenabled = p.Enabled == true && !w.Enabled;
        return w with
        {
            Url = p.Url ?? w.Url,
            Events = p.Events is null ? w.Events : [.. p.Events],
            ProtectedSecret = rotatedProtectedSecret ?? w.ProtectedSecret,
            Description = p.Description ?? w.Description,
            Enabled = p.Enabled ?? w.Enabled,
            // Switching it back on starts a new run: the failures that disabled it are forgiven.
            ConsecutiveFailures = reenabled ? 0 : w.ConsecutiveFailures,
            DisabledReason = reenabled ? null : w.DisabledReason,
            DisabledAt = reenabled ? null : w.DisabledAt,
            UpdatedAt = now,
        };
    }

    internal static async Task<IResult> DeleteAsync(HttpContext ctx, string id, WebhookStore store)
    {
        if (!Guid.TryParseExact(id, "D", out var webhookId))
        {
            return BadId(ctx, id);
        }

        return await store.WebhooksDeleteAsync(webhookId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted)
            ? ApiResults.Ok(ctx, new { id = webhookId, status = "deleted" })
            : NotFound(ctx, webhookId);
    }

    /// <summary>The subscription's deliveries, newest first, each with its attempts; <c>limit</c> (1–100, default 20) and <c>offset</c>.</summary>
    internal static async Task<IResult> DeliveriesAsync(HttpContext ctx, string id, WebhookStore store)
    {
        if (!Guid.TryParseExact(id, "D", out var webhookId))
        {
            return BadId(ctx, id);
        }

        if (QueryPaging.TryRead(ctx, out var limit, out var offset) is { } problem)
        {
            return ApiResults.BadRequest(ctx, problem);
        }

        if (await store.WebhooksGetAsync(webhookId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted) is null)
        {
            return NotFound(ctx, webhookId);
        }

        var (items, total) = await store.DeliveriesListAsync(webhookId, limit, offset, ctx.RequestAborted);
        return ApiResults.Page(ctx, items.Select(DeliveryResponse.From).ToList(), total, limit, offset);
    }

    /// <summary>Queues a <c>webhook.test</c> delivery to the subscription, signed and retried like any other; 202 with its id.</summary>
    internal static async Task<IResult> TestAsync(HttpContext ctx, string id, WebhookStore store, TimeProvider time)
    {
        if (!Guid.TryParseExact(id, "D", out var webhookId))
        {
            return BadId(ctx, id);
        }

        var webhook = await store.WebhooksGetAsync(webhookId, RequireCallerFilter.Get(ctx).ScopeOwner, ctx.RequestAborted);
        if (webhook is null)
        {
            return NotFound(ctx, webhookId);
        }

        var now = PostgresTime.Now(time);
        var deliveryId = Guid.CreateVersion7();
        var e = new LifecycleEvent(TestEvent, webhook.Owner, Guid.Empty, TestEvent, "default", 0, "test", 0, 0, null, time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.DeliveriesInsertAsync(new NewDelivery(
            deliveryId, webhook.Id, webhook.Owner, "test." + deliveryId.ToString("N"), TestEvent, null,
            JsonSerializer.Serialize(e), System.Diagnostics.Activity.Current?.Id, now, now), ctx.RequestAborted);
        return ApiResults.Accepted(ctx, new { delivery_id = deliveryId, @event = TestEvent });
    }

    /// <summary>The event name of <c>POST /{id}/test</c> deliveries (not a job event: nobody subscribes to it).</summary>
    public const string TestEvent = "webhook.test";

    private static IResult NotFound(HttpContext ctx, Guid id) => ApiResults.NotFound(ctx, $"webhook {id} not found");

    private static IResult BadId(HttpContext ctx, string raw) => ApiResults.BadRequest(ctx, $"invalid webhook id '{raw}': must be a UUID");
}

/// <summary>
/// A subscription as the API shows it: the original's fields (id, url, events, enabled, created_at), then the rest.
/// Never the secret, except <see cref="Secret"/> in the answer to the POST that generated it.
/// </summary>
public sealed record WebhookResponse(
    Guid Id,
    string Url,
    IReadOnlyList<string> Events,
    bool Enabled,
    DateTime CreatedAt,
    string? Description,
    bool HasSecret,
    int ConsecutiveFailures,
    string? DisabledReason,
    DateTime? DisabledAt,
    DateTime UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret)
{
    public static WebhookResponse From(WebhookSubscription w, string? generatedSecret = null) => new(
        w.Id, w.Url, w.Events, w.Enabled, w.CreatedAt, w.Description, w.ProtectedSecret is not null, w.ConsecutiveFailures, w.DisabledReason,
        w.DisabledAt, w.UpdatedAt, generatedSecret);
}

/// <summary>One delivery in the log: its state, and every attempt with status code, latency and error.</summary>
public sealed record DeliveryResponse(
    Guid Id,
    string Event,
    string EventId,
    Guid? JobId,
    string Status,
    bool Delivered,
    int Attempts,
    DateTime? NextAttemptAt,
    DateTime CreatedAt,
    DateTime? CompletedAt,
    IReadOnlyList<AttemptResponse> AttemptLog)
{
    public static DeliveryResponse From(DeliveryLog d) => new(
        d.Id, d.Event, d.EventId, d.JobId, d.Status, d.Status == DeliveryStatus.Succeeded, d.Attempts,
        d.Status is DeliveryStatus.Pending ? d.NextAttemptAt : null, d.CreatedAt, d.CompletedAt,
        d.AttemptLog.Select(a => new AttemptResponse(a.Attempt, a.StartedAt, a.StatusCode, a.LatencyMs, a.Error, a.Succeeded)).ToList());
}

/// <summary>One HTTP attempt: <see cref="StatusCode"/> null when there was no answer (timeout, refused, blocked).</summary>
public sealed record AttemptResponse(int Attempt, DateTime StartedAt, int? StatusCode, int LatencyMs, string? Error, bool Succeeded);
