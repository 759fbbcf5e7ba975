using JobQueue.Core.Configuration;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// How often each role runs, from configuration (environment variables in the original's style: <c>5s</c>,
/// <c>250ms</c>, <c>1m30s</c>). A bad value fails the start with the setting's name instead of running on a guess.
/// </summary>
internal sealed record SchedulerOptions
{
    /// <summary>How often a replica tries to take, or confirms it still holds, the leader lock.</summary>
    public TimeSpan LeaderCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest the promoter sleeps: bounds lateness and how soon a newly delayed job is noticed.</summary>
    public TimeSpan PromoteMaxSleep { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest the cron firer sleeps: how soon a schedule created or changed meanwhile is seen.</summary>
    public TimeSpan CronMaxSleep { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan IndexCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ClaimRescueInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan LeaseRescueInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan StaleSweepInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a waiting job may be due before a missing index entry counts as lost rather than in flight.</summary>
    public TimeSpan StaleSweepGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the sweeper starts over from the oldest waiting job (see <see cref="StaleIndexSweeper"/>).</summary>
    public TimeSpan StaleSweepFullPassInterval { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the event relay looks at an empty outbox: the added latency of a live event, at most.</summary>
    public TimeSpan EventRelayInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Wait after a failed tick (Postgres or Redis down) before trying again.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public static SchedulerOptions From(Func<string, string?> get)
    {
        var d = new SchedulerOptions();
        TimeSpan Read(string key, TimeSpan fallback, bool allowZero = false)
        {
            if (get(key) is not { Length: > 0 } text)
            {
                return fallback;
            }

            var value = GoDuration.Parse(text, key);
            return value > TimeSpan.Zero || allowZero ? value : throw new FormatException($"{key}='{text}' must be greater than zero");
        }

        return new SchedulerOptions
        {
            LeaderCheckInterval = Read("SCHEDULER_LEADER_CHECK_INTERVAL", d.LeaderCheckInterval),
            PromoteMaxSleep = Read("SCHEDULER_PROMOTE_INTERVAL", d.PromoteMaxSleep),
            CronMaxSleep = Read("SCHEDULER_CRON_INTERVAL", d.CronMaxSleep),
            IndexCheckInterval = Read("SCHEDULER_INDEX_CHECK_INTERVAL", d.IndexCheckInterval),
            ClaimRescueInterval = Read("SCHEDULER_CLAIM_RESCUE_INTERVAL", d.ClaimRescueInterval),
            LeaseRescueInterval = Read("SCHEDULER_LEASE_RESCUE_INTERVAL", d.LeaseRescueInterval),
            EventRelayInterval = Read("SCHEDULER_EVENT_RELAY_INTERVAL", d.EventRelayInterval),
            StaleSweepInterval = Read("SCHEDULER_STALE_SWEEP_INTERVAL", d.StaleSweepInterval),
            StaleSweepGrace = Read("SCHEDULER_STALE_SWEEP_GRACE", d.StaleSweepGrace, allowZero: true),
            StaleSweepFullPassInterval = Read("SCHEDULER_STALE_SWEEP_FULL_PASS_INTERVAL", d.StaleSweepFullPassInterval),
            CleanupInterval = Read("SCHEDULER_CLEANUP_INTERVAL", d.CleanupInterval),
            ErrorBackoff = Read("SCHEDULER_ERROR_BACKOFF", d.ErrorBackoff),
        };
    }
}
