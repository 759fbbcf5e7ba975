using JobQueue.Core.Configuration;
using JobQueue.Storage.Postgres;

namespace Worker.Service.Running;

/// <summary>
/// Every <c>WORKER_HEARTBEAT_INTERVAL</c>: extends the leases of the running jobs in one statement, cancels the
/// ones whose owner asked (this covers a cancel message lost on pub/sub) and the ones whose lease we no longer
/// hold, then upserts the worker row with its counters.
/// </summary>
internal sealed class WorkerHeartbeat(
    PostgresJobStore store,
    PostgresWorkerStore workers,
    RunningJobs running,
    JobQueueSettings settings,
    WorkerIdentity identity,
    TimeProvider time,
    ILogger<WorkerHeartbeat> logger)
{
    private readonly DateTime _startedAt = time.GetUtcNow().UtcDateTime;

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.WorkerHeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await BeatAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task BeatAsync(CancellationToken ct)
    {
        try
        {
            var ids = running.Ids();
            if (ids.Length > 0)
            {
                var leaseUntil = time.GetUtcNow().UtcDateTime + settings.LeaseDuration;
                var held = await store.JobsExtendLeasesAsync(ids, identity.Id, leaseUntil, ct);
                var stillHeld = new HashSet<Guid>(held.Count);
                foreach (var (id, cancelRequested) in held)
                {
                    stillHeld.Add(id);
                    if (cancelRequested && running.TryGet(id, out var r))
                    {
                        r.Stop(StopReason.Cancel);
                    }
                }

                foreach (var id in ids)
                {
                    // Not extended: the attempt ended meanwhile (gone from the set) or our lease expired and the job
                    // was rescued; in the latter case our answer would be refused, so stop spending a slot on it.
                    if (!stillHeld.Contains(id) && running.TryGet(id, out var r) && r.IsUnsettled && r.Reason == StopReason.None)
                    {
                        logger.LeaseLostWhileRunning(id);
                        r.Stop(StopReason.LeaseLost);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.HeartbeatFailed(ex.Message);
        }

        await RegisterAsync("active", ct);
    }

    /// <summary>Upserts this worker's row (<c>active</c> while running, <c>stopped</c> at the end).</summary>
    public async Task<bool> RegisterAsync(string status, CancellationToken ct)
    {
        try
        {
            await workers.WorkersUpsertAsync(new WorkerInfo
            {
                Id = identity.Id,
                Host = Environment.MachineName,
                Pid = Environment.ProcessId,
                Status = status,
                Queues = settings.WorkerQueues.ToArray(),
                Concurrency = settings.WorkerCount,
                Running = running.Count,
                JobsProcessed = running.Processed,
                JobsFailed = running.Failed,
                StartedAt = _startedAt,
                LastSeen = time.GetUtcNow().UtcDateTime,
            }, ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.HeartbeatFailed(ex.Message);
            return false;
        }
    }
}
