namespace JobQueue.Core.Retry;

/// <summary>
/// Exponential backoff with jitter, capped: attempt n waits <c>base × 2^(n−1)</c>, scaled by a random factor in
/// [1 − jitter, 1 + jitter], and never more than <c>max</c>. Jitter spreads the retries of a burst of jobs that
/// failed together (a downstream outage) so they do not all come back in the same second.
/// </summary>
public sealed class RetryPolicy(TimeSpan baseDelay, TimeSpan maxDelay, double jitter = 0.2)
{
    /// <summary>The delay before attempt 2.</summary>
    public TimeSpan BaseDelay { get; } = baseDelay > TimeSpan.Zero ? baseDelay : throw new ArgumentOutOfRangeException(nameof(baseDelay), "base delay must be positive");

    /// <summary>No delay is ever longer than this.</summary>
    public TimeSpan MaxDelay { get; } = maxDelay >= baseDelay ? maxDelay : throw new ArgumentOutOfRangeException(nameof(maxDelay), "max delay must be at least the base delay");

    /// <summary>Fraction of the delay by which it may vary either way (0 disables jitter).</summary>
    public double Jitter { get; } = jitter is >= 0 and < 1 ? jitter : throw new ArgumentOutOfRangeException(nameof(jitter), "jitter must be in [0, 1)");

    /// <summary>
    /// The delay after the attempt numbered <paramref name="attempt"/> (1-based) failed.
    /// <paramref name="random01"/> is a number in [0, 1); pass a fixed one in tests.
    /// </summary>
    public TimeSpan DelayAfter(int attempt, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // 2^(attempt-1) overflows a double only far past any cap; clamp the exponent so the product stays finite.
        var exponent = Math.Min(attempt - 1, 62);
        var raw = BaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var jittered = raw * (1 - Jitter + (2 * Jitter * random01));
        var capped = Math.Min(jittered, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Max(capped, 0));
    }

    /// <summary>The delay after attempt <paramref name="attempt"/> using <see cref="Random.Shared"/>.</summary>
    public TimeSpan DelayAfter(int attempt) => DelayAfter(attempt, Random.Shared.NextDouble());

    /// <summary>True when a job that has used <paramref name="attempts"/> of <paramref name="maxAttempts"/> may run again.</summary>
    public static bool HasAttemptsLeft(int attempts, int maxAttempts) => attempts < maxAttempts;
}
