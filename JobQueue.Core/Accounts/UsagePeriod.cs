namespace JobQueue.Core.Accounts;

/// <summary>
/// Monthly metering periods: a period is a calendar month in UTC, named by its first day. A new month needs no
/// job to "reset" anything: its first enqueue simply writes a new period row.
/// </summary>
public static class UsagePeriod
{
    /// <summary>The first day (UTC) of the month holding <paramref name="now"/>.</summary>
    public static DateOnly Of(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new DateOnly(utc.Year, utc.Month, 1);
    }

    /// <summary>When the month holding <paramref name="now"/> ends: midnight UTC on the first day of the next month.</summary>
    public static DateTimeOffset ResetAt(DateTimeOffset now)
    {
        var next = Of(now).AddMonths(1);
        return new DateTimeOffset(next.Year, next.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>What <c>GET /api/v1/usage</c> reports for one key in the current month.</summary>
/// <param name="Tier">The key's tier.</param>
/// <param name="JobsUsed">Jobs accepted this month.</param>
/// <param name="ResetAt">When the count starts again from zero.</param>
public sealed record UsageReport(Tier Tier, long JobsUsed, DateTimeOffset ResetAt)
{
    /// <summary>Jobs per month, or <see cref="Tiers.Unlimited"/>.</summary>
    public long JobsLimit => Tier.JobsLimit();

    /// <summary>Percentage of the limit used, rounded to two decimals (0 when unlimited).</summary>
    public double UsagePercent => JobsLimit <= 0 ? 0 : Math.Round(JobsUsed * 100.0 / JobsLimit, 2);

    /// <summary>True when no further job would be accepted this month.</summary>
    public bool LimitReached => JobsLimit >= 0 && JobsUsed >= JobsLimit;
}
