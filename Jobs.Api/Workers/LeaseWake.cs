using JobQueue.Storage.Redis;

namespace Jobs.Api.Workers;

/// <summary>
/// Wakes the long-polling leases of this process when a remote worker's job becomes due (the broker publishes the
/// types of due jobs it did not index). Every waiter wakes and asks Postgres again; a wait also ends after a second
/// at most, because jobs also become due without any message (a retry's backoff or a delay running out).
/// </summary>
internal sealed partial class LeaseWake(RedisBroker broker, ILogger<LeaseWake> logger) : BackgroundService
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until the next wake-up or <paramref name="timeout"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(timeout, time, ct);
        }
        catch (TimeoutException)
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await broker.SubscribeLeaseWakeAsync(_ => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult());
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Without the subscription leases still find their jobs within a second: the waits time out.
                LogSubscribeFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease wake-ups not subscribed yet: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
