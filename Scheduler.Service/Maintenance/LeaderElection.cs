using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using Npgsql;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// One scheduler replica at a time runs the cluster-wide roles: the one holding a Postgres advisory lock on a
/// dedicated connection. If it dies or loses Postgres, the lock goes with its connection and another takes over
/// within a second.
/// </summary>
internal sealed partial class LeaderElection(NpgsqlDataSource dataSource, TimeProvider time, ILogger<LeaderElection> logger) : BackgroundService
{
    // "JQSCHEDL" folded into a bigint; distinct from the migration lock.
    private const long LockKey = 0x4A51534348454441;
    private readonly LeaderLock _lock = new(dataSource, LockKey);
    private volatile bool _isLeader;

    public bool IsLeader => _isLeader;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Migrator.MigrateAsync(dataSource, stoppingToken);
                break;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var leader = await _lock.TryAcquireOrKeepAsync(stoppingToken);
            if (leader != _isLeader)
            {
                _isLeader = leader;
                LogLeadership(logger, leader ? "became leader" : "is no longer leader", Environment.ProcessId);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _isLeader = false;
        await _lock.ReleaseAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler {Change} (pid {Pid})")]
    private static partial void LogLeadership(ILogger logger, string change, int pid);
}

/// <summary>A role that acts only while this replica leads; each tick returns how long to wait before the next.</summary>
internal abstract partial class LeaderRole(LeaderElection election, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time => time;

    protected DateTime Now => time.GetUtcNow().UtcDateTime;

    protected abstract TimeSpan Idle { get; }

    protected abstract Task<TimeSpan> TickAsync(CancellationToken ct);

    protected virtual void OnLeadershipLost()
    {
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = Idle;
            if (election.IsLeader)
            {
                try
                {
                    wait = await TickAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Postgres or Redis down: log and try again; the service must outlive outages.
                    LogTickFailed(logger, GetType().Name, ex.Message);
                    wait = TimeSpan.FromSeconds(1);
                }
            }
            else
            {
                OnLeadershipLost();
            }

            await Task.Delay(wait, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Role} failed: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string role, string reason);
}
