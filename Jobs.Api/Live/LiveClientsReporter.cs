using JobQueue.Storage.Redis;

namespace Jobs.Api.Live;

/// <summary>
/// Reports this process's <c>/ws</c> client count to Redis every few seconds, where the gateway's <c>/metrics</c> sums
/// the reports of every Jobs.Api replica into <c>jobqueue_ws_clients</c> (a replica that stops reporting drops out of
/// the sum after 30 s). Best effort: a Redis failure skips a report.
/// </summary>
public sealed partial class LiveClientsReporter(LiveHub hub, SystemMetricsStore metrics, TimeProvider time, ILogger<LiveClientsReporter> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly string _instance = Environment.MachineName + ":" + Environment.ProcessId + ":" + Guid.NewGuid().ToString("N")[..8];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await ReportAsync(hub.ClientCount);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ReportAsync(0);
    }

    private async Task ReportAsync(int count)
    {
        try
        {
            await metrics.ReportWsClientsAsync(_instance, count);
        }
        // ObjectDisposedException: at shutdown the host may dispose the Redis connection before this service's
        // StopAsync runs its last report (seen in Jobs.Api.Tests' teardown); the sum forgets us after 30 s anyway.
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or ObjectDisposedException)
        {
            ReportFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not report the WebSocket client count: {Reason}")]
    private static partial void ReportFailed(ILogger logger, string reason);
}
