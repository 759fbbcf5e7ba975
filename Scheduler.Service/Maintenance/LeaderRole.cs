using StackExchange.Redis;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// A cluster-wide role: a loop that acts only while this replica leads. Each tick returns how long to wait before
/// the next; a failing tick (Postgres or Redis down) is logged and retried, so the service outlives outages.
/// </summary>
internal abstract class LeaderRole(LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time => time;

    protected DateTime Now => time.GetUtcNow().UtcDateTime;

    protected SchedulerOptions Options => options;

    protected ILogger Logger => logger;

    /// <summary>Runs one round of the role's work; returns the wait before the next round.</summary>
    protected abstract Task<TimeSpan> TickAsync(CancellationToken ct);

    /// <summary>Called when this replica stops leading, to drop state that belonged to its term.</summary>
    protected virtual void OnLeadershipLost()
    {
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var name = GetType().Name;
        var led = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                if (!election.IsLeader)
                {
                    if (led)
                    {
                        led = false;
                        OnLeadershipLost();
                    }

                    await election.WaitUntilLeaderAsync(stoppingToken);
                    continue; // re-check: leadership may have gone again while we were woken
                }

                led = true;
                wait = await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
            {
                wait = options.ErrorBackoff;
                logger.RedisDown(name, wait, Brief(ex.Message));
            }
            catch (Exception ex)
            {
                wait = options.ErrorBackoff;
                logger.RoleFailed(name, wait, ex.Message);
            }

            if (wait <= TimeSpan.Zero)
            {
                continue;
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // StackExchange.Redis appends a full connection report to every timeout; the first sentence says what happened.
    private static string Brief(string message) =>
        message.IndexOf(" - ", StringComparison.Ordinal) is > 0 and var cut ? message[..cut] : message;
}
