using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Npgsql;

namespace Worker.Service.Running;

/// <summary>
/// The hot path. While handler slots are free, one loop claims a batch (Redis pops the best-scored ids, one Postgres
/// compare-and-set leases the still-waiting ones, Redis forgets the popped claims) and starts each job on the thread
/// pool. When nothing is ready it sleeps on <see cref="AsyncSignal"/>, woken by the enqueue/promote scripts' pub/sub
/// message or a freed slot; <c>WORKER_POLL_INTERVAL</c> is only a safety net (a lost message, a Redis restart).
/// On SIGTERM it stops claiming at once, lets running jobs finish for <c>WORKER_SHUTDOWN_TIMEOUT</c>, then cancels
/// and hands back the rest (they run again elsewhere, uncounted), flushes completions and marks the worker stopped.
/// Running handlers are not cancelled at the start of shutdown: a deploy must not fail every job in flight.
/// </summary>
internal sealed class WorkerLoop(
    PostgresJobStore store,
    RedisBroker broker,
    JobRunner runner,
    RunningJobs running,
    OutcomeWriter outcomes,
    WorkerHeartbeat heartbeat,
    JobQueueSettings settings,
    WorkerIdentity identity,
    TimeProvider time,
    ILogger<WorkerLoop> logger) : BackgroundService
{
    private readonly AsyncSignal _signal = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _free = settings.WorkerCount;

    /// <summary>
    /// Claim when this many slots are free (half a batch), or after <see cref="PartialSlotsWait"/> with fewer. Waking
    /// on every freed slot made a busy worker claim one or two jobs per round trip; waiting for half a batch keeps
    /// claims (and their Postgres UPDATE) large, and the short wait keeps long-running jobs from idling free slots.
    /// </summary>
    private readonly int _claimThreshold = Math.Max(1, Math.Min(settings.WorkerCount, settings.WorkerClaimBatch) / 2);

    private static readonly TimeSpan PartialSlotsWait = TimeSpan.FromMilliseconds(5);
    private volatile bool _draining;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await StartUpAsync(stoppingToken);
        logger.WorkerStarted(identity.Id, settings.WorkerCount, settings.WorkerClaimBatch, string.Join(",", settings.WorkerQueues));

        var flusher = Task.Run(outcomes.RunFlusherAsync, CancellationToken.None);
        using var heartbeatStop = new CancellationTokenSource();
        var beating = Task.Run(() => heartbeat.RunAsync(heartbeatStop.Token), CancellationToken.None);

        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // The heartbeat keeps extending leases while the drain waits for running jobs.
        await DrainAsync();
        outcomes.CloseCompletions();
        await flusher;
        await heartbeatStop.CancelAsync();
        await beating;
        await heartbeat.RegisterAsync("stopped", CancellationToken.None);
        logger.WorkerStopped(identity.Id, running.Processed);
    }

    /// <summary>Subscriptions, then registration; retried until Postgres and Redis answer (the schema is applied before any service starts).</summary>
    private async Task StartUpAsync(CancellationToken ct)
    {
        var subscribed = false;
        while (true)
        {
            try
            {
                if (!subscribed)
                {
                    await broker.SubscribeWakeAsync(_signal.Set);
                    await broker.SubscribeCancelAsync(OnCancel);
                    subscribed = true;
                }

                if (await heartbeat.RegisterAsync("active", ct))
                {
                    return;
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.StartupWaiting(ex.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
        }
    }

    private void OnCancel(Guid id)
    {
        if (running.TryGet(id, out var job))
        {
            job.Stop(StopReason.Cancel);
        }
    }

    private async Task ClaimLoopAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var free = Volatile.Read(ref _free);
            if (free < _claimThreshold)
            {
                await _signal.WaitAsync(free == 0 ? settings.WorkerPollInterval : PartialSlotsWait, ct);
                free = Volatile.Read(ref _free);
                if (free == 0)
                {
                    continue;
                }
            }

            IReadOnlyList<ClaimedJob> claimed;
            try
            {
                claimed = await ClaimAsync(Math.Min(free, settings.WorkerClaimBatch));
                failures = 0;
            }
            catch (Exception ex)
            {
                // Redis or Postgres away: back off (up to 5 s) rather than spin; nothing claimed is lost (see ClaimAsync).
                logger.ClaimFailed(ex.Message);
                failures++;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * failures)), time, ct);
                continue;
            }

            if (claimed.Count == 0)
            {
                await _signal.WaitAsync(settings.WorkerPollInterval, ct);
                continue;
            }

            Interlocked.Add(ref _free, -claimed.Count);
            for (var i = 0; i < claimed.Count; i++)
            {
                _ = RunOneAsync(claimed[i]);
            }
        }
    }

    /// <summary>
    /// Pop, lease, forget. Not cancelled by shutdown once started: ids popped from Redis are leased (and then run
    /// in the drain) rather than left in the claim set for the scheduler to rescue. If the process dies between the
    /// pop and the lease, the claim set's deadline tells the scheduler to re-index them.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int count)
    {
        var ids = await broker.ClaimAsync(settings.WorkerQueues, count, settings.LeaseDuration);
        if (ids.Length == 0)
        {
            return [];
        }

        var now = time.GetUtcNow().UtcDateTime;
        var claimed = await store.JobsClaimAsync(new JobsClaimParams(ids, identity.Id, now, now + settings.LeaseDuration), CancellationToken.None);
        // Every popped id is settled in Postgres now (leased to us, or refused: cancelled, a duplicate entry). The
        // forget is pipelined, not awaited before the jobs start: it is off the critical path of the claim.
        _ = ForgetAsync(ids);
        return claimed;
    }

    private async Task ForgetAsync(Guid[] ids)
    {
        try
        {
            await broker.ForgetClaimsAsync(ids);
        }
        catch (Exception ex)
        {
            // Harmless: the scheduler finds these claims settled in Postgres and drops them.
            logger.ClaimFailed("forgetting claims: " + ex.Message);
        }
    }

    private async Task RunOneAsync(ClaimedJob job)
    {
        await Task.Yield(); // off the claim loop: the next claim starts while this batch runs
        try
        {
            await runner.RunAsync(job);
        }
        catch (Exception ex)
        {
            logger.OutcomeLost("job " + job.Id, ex.Message);
        }
        finally
        {
            var free = Interlocked.Increment(ref _free);
            if (free == _claimThreshold)
            {
                _signal.Set(); // the loop may be waiting for slots
            }

            if (_draining && free == settings.WorkerCount)
            {
                _idle.TrySetResult();
            }
        }
    }

    private async Task DrainAsync()
    {
        _draining = true;
        if (Volatile.Read(ref _free) == settings.WorkerCount)
        {
            _idle.TrySetResult();
        }

        logger.Draining(settings.WorkerShutdownTimeout, running.Count);
        if (await WaitIdleAsync(settings.WorkerShutdownTimeout))
        {
            return;
        }

        // Deadline: cancel what is left and give it back. Taken here rather than by each runner, so a handler that
        // ignores its token cannot keep a job 'running' after this process is gone.
        var left = running.Snapshot();
        logger.DrainDeadline(left.Length);
        foreach (var job in left)
        {
            job.Stop(StopReason.Shutdown);
        }

        await WaitIdleAsync(TimeSpan.FromSeconds(2)); // runners notice the token (their completions still count)
        var handBack = new List<ClaimedJob>(left.Length);
        foreach (var job in left)
        {
            if (job.TryTakeForHandBack())
            {
                handBack.Add(job.Job);
            }
        }

        await outcomes.HandBackAsync(handBack);
    }

    private async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        try
        {
            await _idle.Task.WaitAsync(timeout, time, CancellationToken.None);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}
