using JobQueue.Storage.Postgres;
using Npgsql;

namespace Scheduler.Service.Maintenance;

/// <summary>
/// One scheduler replica at a time runs the cluster-wide roles: the one holding a Postgres advisory lock on a
/// dedicated connection (<see cref="LeaderLock"/>). If it dies or loses Postgres, the lock goes with its connection
/// and another replica takes over within about a second.
/// </summary>
/// <remarks>
/// Leadership is also bounded in time: <see cref="IsLeader"/> turns false by itself when the lock has not been
/// confirmed for three check intervals, so a replica whose check hangs (a network partition that Postgres notices
/// before we do) stops acting before another replica could plausibly have taken the lock.
/// </remarks>
internal sealed class LeaderElection(NpgsqlDataSource dataSource, SchedulerOptions options, TimeProvider time, ILogger<LeaderElection> logger)
    : BackgroundService
{
    // "JQSCHEDL" folded into a bigint; distinct from the migration lock.
    private const long LockKey = 0x4A51534348454441;

    private static readonly string Replica = $"{Environment.MachineName}/{Environment.ProcessId}";

    private readonly LeaderLock _lock = new(dataSource, LockKey);
    private TaskCompletionSource _gained = NewSignal();
    private long _confirmedAt = long.MinValue; // TimeProvider timestamp of the last successful check while leader
    private bool _wasLeader;

    private TimeSpan Validity => options.LeaderCheckInterval * 3;

    /// <summary>True while this replica holds the lock and confirmed it recently.</summary>
    public bool IsLeader
    {
        get
        {
            var at = Interlocked.Read(ref _confirmedAt);
            return at != long.MinValue && time.GetElapsedTime(at) < Validity;
        }
    }

    /// <summary>Completes when this replica is leader (at once if it already is).</summary>
    public async Task WaitUntilLeaderAsync(CancellationToken ct)
    {
        while (!IsLeader)
        {
            var signal = Volatile.Read(ref _gained).Task;
            if (IsLeader)
            {
                return;
            }

            // The check interval bounds the wait even if a signal is missed in a race with a loss of leadership.
            await Task.WhenAny(signal, Task.Delay(options.LeaderCheckInterval, time, ct)).WaitAsync(ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var leader = false;
            try
            {
                // A hung check must not keep us believing we lead: bound it, then drop the connection (and the lock).
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Validity);
                leader = await _lock.TryAcquireOrKeepAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LeaderCheckFailed(ex.Message);
                await _lock.ReleaseAsync();
            }

            if (leader)
            {
                Interlocked.Exchange(ref _confirmedAt, time.GetTimestamp());
            }

            SetLeader(leader);
            try
            {
                await Task.Delay(options.LeaderCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        SetLeader(false);
        await _lock.ReleaseAsync();
    }

    private void SetLeader(bool leader)
    {
        if (!leader)
        {
            Interlocked.Exchange(ref _confirmedAt, long.MinValue);
        }

        if (leader == _wasLeader)
        {
            return;
        }

        _wasLeader = leader;
        if (leader)
        {
            logger.BecameLeader(Replica);
            Volatile.Read(ref _gained).TrySetResult();
        }
        else
        {
            logger.LostLeadership(Replica);
            Interlocked.Exchange(ref _gained, NewSignal());
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
