using JobQueue.Core.Configuration;
using JobQueue.Core.Net;
using JobQueue.Core.Retry;
using JobQueue.Core.Webhooks;

namespace Webhook.Dispatcher.Delivery;

/// <summary>
/// The dispatcher's settings, read once from the environment (durations in the original's style: <c>10s</c>,
/// <c>250ms</c>). A bad value fails the start with the setting's name.
/// </summary>
public sealed record WebhookOptions
{
    /// <summary><c>WEBHOOK_ALLOW_PRIVATE_ADDRESSES</c>: <c>false</c> (default), <c>loopback</c> or <c>true</c>.</summary>
    public PrivateAddressAccess PrivateAddresses { get; init; } = PrivateAddressAccess.None;

    /// <summary><c>WEBHOOK_TIMEOUT</c>: one HTTP attempt, connect to last header (the original's 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>WEBHOOK_LEASE</c>: how long a claimed delivery is held before another dispatcher may take it. Longer than
    /// the timeout, so only a dispatcher that died (not a slow receiver) lets it go.
    /// </summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>WEBHOOK_POLL_INTERVAL</c>: the safety net when a wake-up on Redis is missed.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>WEBHOOK_CONCURRENCY</c>: deliveries in flight per dispatcher.</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary><c>WEBHOOK_MAX_ATTEMPTS</c>, <c>WEBHOOK_RETRY_BASE_DELAY</c>, <c>WEBHOOK_RETRY_MAX_DELAY</c>, <c>WEBHOOK_DISABLE_AFTER</c>.</summary>
    public WebhookDeliveryPolicy Policy { get; init; } = new();

    /// <summary><c>WEBHOOK_DELIVERY_RETENTION</c>: how long a finished delivery stays in the log (0: for ever).</summary>
    public TimeSpan DeliveryRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary><c>WEBHOOK_CLEANUP_INTERVAL</c>: how often the retention purge runs.</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait after a failed round (Postgres down) before trying again.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public OutboundAddressPolicy AddressPolicy => new(PrivateAddresses);

    public static WebhookOptions From(Func<string, string?> get)
    {
        var d = new WebhookOptions();
        TimeSpan Duration(string key, TimeSpan fallback, bool allowZero = false) =>
            get(key) is { Length: > 0 } text
                ? GoDuration.Parse(text, key) is var v && (v > TimeSpan.Zero || (allowZero && v == TimeSpan.Zero)) ? v : throw new FormatException($"{key}='{text}' must be greater than zero")
                : fallback;
        int Int(string key, int fallback, int min) =>
            get(key) is { Length: > 0 } text
                ? int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min ? v : throw new FormatException($"{key}='{text}' must be an integer of at least {min}")
                : fallback;

        var timeout = Duration("WEBHOOK_TIMEOUT", d.Timeout);
        var lease = Duration("WEBHOOK_LEASE", TimeSpan.FromTicks(Math.Max(d.Lease.Ticks, (timeout * 3).Ticks)));
        if (lease <= timeout)
        {
            throw new FormatException($"WEBHOOK_LEASE ({lease}) must be longer than WEBHOOK_TIMEOUT ({timeout}): a slow receiver would get the delivery twice");
        }

        var baseDelay = Duration("WEBHOOK_RETRY_BASE_DELAY", WebhookDeliveryPolicy.DefaultBaseDelay);
        var maxDelay = Duration("WEBHOOK_RETRY_MAX_DELAY", WebhookDeliveryPolicy.DefaultMaxDelay);
        return new WebhookOptions
        {
            PrivateAddresses = OutboundAddressPolicy.ParseAccess(get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES"), "WEBHOOK_ALLOW_PRIVATE_ADDRESSES"),
            Timeout = timeout,
            Lease = lease,
            PollInterval = Duration("WEBHOOK_POLL_INTERVAL", d.PollInterval),
            Concurrency = Int("WEBHOOK_CONCURRENCY", d.Concurrency, 1),
            ErrorBackoff = Duration("WEBHOOK_ERROR_BACKOFF", d.ErrorBackoff),
            DeliveryRetention = Duration("WEBHOOK_DELIVERY_RETENTION", d.DeliveryRetention, allowZero: true),
            CleanupInterval = Duration("WEBHOOK_CLEANUP_INTERVAL", d.CleanupInterval),
            Policy = new WebhookDeliveryPolicy
            {
                MaxAttempts = Int("WEBHOOK_MAX_ATTEMPTS", d.Policy.MaxAttempts, 1),
                Backoff = new RetryPolicy(baseDelay, maxDelay < baseDelay ? baseDelay : maxDelay),
                DisableAfterConsecutiveFailures = Int("WEBHOOK_DISABLE_AFTER", d.Policy.DisableAfterConsecutiveFailures, 0),
            },
        };
    }
}
