using JobQueue.Core.Retry;

namespace JobQueue.Core.Webhooks;

/// <summary>
/// When a failed webhook delivery is tried again, when it is given up, and when a subscription that keeps failing
/// is switched off. Defaults: 12 attempts with backoff from 10 s doubling to a 1 h cap (±20 % jitter), so a delivery
/// is retried for about 3.5 hours — long enough to ride out a receiver's deploy or short outage; and a subscription
/// is disabled after 20 deliveries in a row were given up (each after its full retry run), because counting given-up
/// deliveries rather than failed attempts cannot be tripped by one bad minute, only by an endpoint that is gone.
/// </summary>
public sealed record WebhookDeliveryPolicy
{
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromHours(1);

    /// <summary>HTTP attempts per delivery, the first included.</summary>
    public int MaxAttempts { get; init; } = 12;

    /// <summary>Backoff between attempts (exponential, jittered, capped).</summary>
    public RetryPolicy Backoff { get; init; } = new(DefaultBaseDelay, DefaultMaxDelay);

    /// <summary>Given-up deliveries in a row after which the subscription is disabled (0: never).</summary>
    public int DisableAfterConsecutiveFailures { get; init; } = 20;

    /// <summary>
    /// After attempt <paramref name="attempt"/> (1-based) failed at <paramref name="now"/>: when to try again, or null
    /// when the delivery is given up.
    /// </summary>
    public DateTime? RetryAt(int attempt, DateTime now, double random01) =>
        RetryPolicy.HasAttemptsLeft(attempt, MaxAttempts) ? now + Backoff.DelayAfter(attempt, random01) : null;

    /// <summary>True when a subscription with <paramref name="consecutiveFailures"/> given-up deliveries in a row is to be disabled.</summary>
    public bool ShouldDisable(int consecutiveFailures) =>
        DisableAfterConsecutiveFailures > 0 && consecutiveFailures >= DisableAfterConsecutiveFailures;
}
