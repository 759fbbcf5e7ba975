using JobQueue.Storage.Events;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// Runs the <see cref="EventRelay"/> on the leader: pumps again at once while the outbox is full, otherwise looks
/// every <see cref="SchedulerOptions.EventRelayInterval"/> (50 ms). Polling an empty outbox is one index probe, cheaper
/// than a NOTIFY in every state change of the hot path.
/// </summary>
internal sealed class EventRelayRole(EventRelay relay, LeaderElection election, SchedulerOptions options, TimeProvider time, ILogger<EventRelayRole> logger)
    : LeaderRole(election, options, time, logger)
{
    protected override async Task<TimeSpan> TickAsync(CancellationToken ct)
    {
        var moved = await relay.PumpOnceAsync(ct);
        if (moved.Events > 0)
        {
            SchedulerMetrics.EventsRelayed.Add(moved.Events);
        }

        return moved.Rows >= EventRelay.RowsPerPump ? TimeSpan.Zero : Options.EventRelayInterval;
    }
}
