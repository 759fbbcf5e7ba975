namespace JobQueue.Client;

public sealed partial class JobQueueClient
{
    /// <summary>GET /api/v1/cron: the caller's schedules, by name.</summary>
    public async Task<IReadOnlyList<CronSchedule>> ListCronAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("/api/v1/cron", Json.ListCronSchedule, cancellationToken);

    /// <summary>GET /api/v1/cron/{id}.</summary>
    public Task<CronSchedule> GetCronAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/cron/{Id(id)}", Json.CronSchedule, cancellationToken);

    /// <summary>POST /api/v1/cron: a new schedule (422 with the parser's reason for a bad expression or zone).</summary>
    public Task<CronSchedule> CreateCronAsync(CreateCronRequest request, CancellationToken cancellationToken = default) =>
        PostAsync("/api/v1/cron", request, Json.CreateCronRequest, Json.CronSchedule, cancellationToken);

    /// <summary>PATCH /api/v1/cron/{id}: changes what the request sets (pause: <c>Enabled = false</c>).</summary>
    public Task<CronSchedule> UpdateCronAsync(Guid id, UpdateCronRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/cron/{Id(id)}", Body(request, Json.UpdateCronRequest), Json.CronSchedule, cancellationToken);

    /// <summary>DELETE /api/v1/cron/{id} (the jobs it fired stay).</summary>
    public Task<Deleted> DeleteCronAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/api/v1/cron/{Id(id)}", null, Json.Deleted, cancellationToken);

    /// <summary>GET /api/v1/webhooks: the caller's subscriptions (never their secrets).</summary>
    public async Task<IReadOnlyList<Webhook>> ListWebhooksAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("/api/v1/webhooks", Json.ListWebhook, cancellationToken);

    /// <summary>GET /api/v1/webhooks/{id}.</summary>
    public Task<Webhook> GetWebhookAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/webhooks/{Id(id)}", Json.Webhook, cancellationToken);

    /// <summary>POST /api/v1/webhooks: subscribes a URL; a generated secret is in <see cref="Webhook.Secret"/> this once.</summary>
    public Task<Webhook> CreateWebhookAsync(CreateWebhookRequest request, CancellationToken cancellationToken = default) =>
        PostAsync("/api/v1/webhooks", request, Json.CreateWebhookRequest, Json.Webhook, cancellationToken);

    /// <summary>PATCH /api/v1/webhooks/{id}.</summary>
    public Task<Webhook> UpdateWebhookAsync(Guid id, UpdateWebhookRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/webhooks/{Id(id)}", Body(request, Json.UpdateWebhookRequest), Json.Webhook, cancellationToken);

    /// <summary>DELETE /api/v1/webhooks/{id}, with its delivery log.</summary>
    public Task<Deleted> DeleteWebhookAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{Id(id)}", null, Json.Deleted, cancellationToken);

    /// <summary>GET /api/v1/webhooks/{id}/deliveries: newest first, each with its attempts.</summary>
    public Task<Page<WebhookDelivery>> ListDeliveriesAsync(Guid id, int? limit = null, int? offset = null, CancellationToken cancellationToken = default) =>
        SendPageAsync(WithQuery($"/api/v1/webhooks/{Id(id)}/deliveries", ("limit", Number(limit)), ("offset", Number(offset))), Json.ListWebhookDelivery, cancellationToken);

    /// <summary>POST /api/v1/webhooks/{id}/test: queues a signed <c>webhook.test</c> delivery.</summary>
    public Task<WebhookTestResult> TestWebhookAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/v1/webhooks/{Id(id)}/test", null, Json.WebhookTestResult, cancellationToken);
}
