using System.Buffers;
using System.Text.Json;
using JobQueue.Core.Configuration;
using JobQueue.Core.Events;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using StackExchange.Redis;

namespace Worker.Service.Running;

/// <summary>
/// Every <c>WORKER_HEARTBEAT_INTERVAL</c>: extends the leases of the running jobs in one statement, cancels the
/// ones whose owner asked (this covers a cancel message lost on pub/sub) and the ones whose lease we no longer
/// hold, then upserts the worker row with its counters and publishes a <c>worker.heartbeat</c> frame for the
/// <c>/ws</c> clients (best effort).
/// </summary>
internal sealed class WorkerHeartbeat(
    PostgresJobStore store,
    PostgresWorkerStore workers,
    RunningJobs running,
    JobQueueSettings settings,
    WorkerIdentity identity,
    TimeProvider time,
    IConnectionMultiplexer redis,
    RedisKeys keys,
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

        if (await RegisterAsync("active", ct))
        {
            await PublishAsync("active");
        }
    }

    /// <summary>
    /// <c>{"type":"worker.heartbeat","worker_id",…,"payload":{status, running, concurrency, queues, jobs_processed},"ts"}</c>
    /// on the worker channel, which every Jobs.Api forwards to its <c>/ws</c> clients. No job ids: a worker runs
    /// every tenant's jobs. Fire and forget: a lost frame is replaced by the next one, and Redis trouble must never
    /// cost a heartbeat (the lease extension above is what matters).
    /// </summary>
    private async Task PublishAsync(string status)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(keys.WorkerEventChannel, HeartbeatFrame(status), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.HeartbeatPublishFailed(ex.Message);
        }
    }

    private byte[] HeartbeatFrame(string status)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", EventNames.WorkerHeartbeat);
            w.WriteString("worker_id", identity.Id);
            w.WriteStartObject("payload");
            w.WriteString("status", status);
            w.WriteNumber("running", running.Count);
            w.WriteNumber("concurrency", settings.WorkerCount);
            w.WriteStartArray("queues");
            foreach (var queue in settings.WorkerQueues)
            {
                w.WriteStringValue(queue);
            }

            w.WriteEndArray();
            w.WriteNumber("jobs_processed", running.Processed);
            w.WriteEndObject();
            w.WriteNumber("ts", time.GetUtcNow().ToUnixTimeMilliseconds());
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
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
                Types = [.. JobQueue.Core.Jobs.BuiltInJobTypes.All],
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
