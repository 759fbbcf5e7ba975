namespace Webhook.Dispatcher;

/// <summary>Every log message of the dispatcher, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Delivered {Event} {DeliveryId} to webhook {WebhookId}: HTTP {StatusCode} in {LatencyMs} ms (attempt {Attempt})")]
    public static partial void Delivered(this ILogger logger, string @event, Guid deliveryId, Guid webhookId, int statusCode, int latencyMs, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to webhook {WebhookId} failed (attempt {Attempt}), retrying at {RetryAt:o}: {Error}")]
    public static partial void DeliveryRetrying(this ILogger logger, Guid deliveryId, Guid webhookId, int attempt, DateTime retryAt, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to webhook {WebhookId} given up after attempt {Attempt}: {Error}")]
    public static partial void DeliveryGaveUp(this ILogger logger, Guid deliveryId, Guid webhookId, int attempt, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Delivery {DeliveryId} to webhook {WebhookId} blocked: {Error}")]
    public static partial void DeliveryBlocked(this ILogger logger, Guid deliveryId, Guid webhookId, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Webhook {WebhookId} disabled after {Failures} deliveries in a row were given up")]
    public static partial void WebhookDisabled(this ILogger logger, Guid webhookId, int failures);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Delivery {DeliveryId}: the lease had expired and another dispatcher took it; this attempt is only logged")]
    public static partial void LeaseLost(this ILogger logger, Guid deliveryId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Sending {Event} {DeliveryId} to webhook {WebhookId} (attempt {Attempt})")]
    public static partial void Sending(this ILogger logger, string @event, Guid deliveryId, Guid webhookId, int attempt);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Purged {Count} finished deliveries older than {Retention} from the log")]
    public static partial void Purged(this ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Delivery round failed, retrying in {Delay}: {Reason}")]
    public static partial void RoundFailed(this ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Could not count a delivery in the system metrics (Redis): {Reason}")]
    public static partial void SystemMetricFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Cannot subscribe to the webhook wake-up channel, polling every {Interval}: {Reason}")]
    public static partial void WakeSubscribeFailed(this ILogger logger, TimeSpan interval, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Delivery {DeliveryId} to webhook {WebhookId} not sent (attempt {Attempt}): {Error}. Every dispatcher replica must share one key ring.")]
    public static partial void SigningSecretUnreadable(this ILogger logger, Guid deliveryId, Guid webhookId, int attempt, string error);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Encrypted {Count} webhook signing secrets that were stored in plain text")]
    public static partial void PlainSecretsProtected(this ILogger logger, int count);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Postgres is not reachable yet ({Reason}); encrypting plain webhook secrets again in {Delay}")]
    public static partial void PlainSecretsRetry(this ILogger logger, string reason, TimeSpan delay);
}
