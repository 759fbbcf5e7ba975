using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobQueue.ServiceDefaults;

/// <summary>
/// Stops the service when the AppHost that started it dies without stopping it (SIGKILL), so a crashed launcher
/// leaves no orphan behind. The AppHost passes its pid in <c>JOBQUEUE_PARENT_PID</c>; unset under Aspire or Kubernetes.
/// </summary>
internal sealed partial class ParentProcessWatcher(IConfiguration config, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(config["JOBQUEUE_PARENT_PID"], out var pid))
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!IsAlive(pid))
            {
                LogParentGone(logger, pid);
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {Pid} is gone; stopping")]
    private static partial void LogParentGone(ILogger logger, int pid);
}
