using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using JobQueue.Core.Configuration;
using JobQueue.Core.Retry;
using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Npgsql;
using StackExchange.Redis;
using Worker.Service.Handlers;

namespace Worker.Service.Running;

/// <summary>This process's worker id: host-pid-replica.</summary>
public sealed record WorkerIdentity(string Replica)
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Replica}";
}

/// <summary>
/// The hot path. One loop claims batches (Redis pop, then one Postgres compare-and-set for the whole batch) while
/// handler slots are free, and otherwise waits for a wake-up published by the enqueue and promote scripts (the 1 s
/// poll is a safety net, not the mechanism). Completions are flushed together by one writer, so a burst of no-op
/// jobs costs one UPDATE per drain, not one per job. On SIGTERM it stops claiming, lets running jobs finish within
/// WORKER_SHUTDOWN_TIMEOUT, and hands the rest back uncounted.
/// </summary>
internal sealed partial class JobRunner(
    PostgresJobStore store,
    PostgresWorkerStore workers,
    RedisBroker broker,
    HandlerRegistry handlers,
    JobQueueSettings settings,
    WorkerIdentity identity,
    NpgsqlDataSource dataSource,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    private static readonly Meter Meter = new("JobQueue.Worker");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("jobqueue.jobs.completed");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("jobqueue.jobs.failed");
    private static readonly Counter<long> Dead = Meter.CreateCounter<long>("jobqueue.jobs.dead");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("jobqueue.job.duration", "s");

    private readonly RetryPolicy _retry = new(settings.RetryBaseDelay, settings.RetryMaxDelay);
    private readonly SemaphoreSlim _slots = new(settings.WorkerCount, settings.WorkerCount);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    private readonly Channel<JobCompletion> _completions = Channel.CreateUnbounded<JobCompletion>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _hardStop = new();
    private readonly DateTime _startedAt = time.GetUtcNow().UtcDateTime;
    private long _processed;
    private long _failed;

    private sealed class RunningJob(ClaimedJob job, CancellationTokenSource cts)
    {
        public ClaimedJob Job { get; } = job;
        public CancellationTokenSource Cts { get; } = cts;
        public volatile bool CancelRequested;
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForSchemaAsync(stoppingToken);
        await broker.SubscribeWakeAsync(Wake);
        await broker.SubscribeCancelAsync(id =>
        {
            if (_running.TryGetValue(id, out var r))
            {
                r.CancelRequested = true;
                r.Cts.Cancel();
            }
        });
        await RegisterAsync("active", CancellationToken.None);
        LogStarted(logger, identity.Id, settings.WorkerCount, string.Join(",", settings.WorkerQueues));

        var flusher = Task.Run(FlushCompletionsAsync, CancellationToken.None);
        using var heartbeatCts = new CancellationTokenSource();
        var heartbeat = Task.Run(() => HeartbeatAsync(heartbeatCts.Token), CancellationToken.None);
        var tasks = new ConcurrentDictionary<Task, byte>();

        try
        {
            await ClaimLoopAsync(tasks, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Drain: running jobs may finish within the shutdown timeout; what is left is handed back.
        LogDraining(logger, _running.Count);
        var all = Task.WhenAll(tasks.Keys);
        if (await Task.WhenAny(all, Task.Delay(settings.WorkerShutdownTimeout, time, CancellationToken.None)) != all)
        {
            await _hardStop.CancelAsync();
            await all.WaitAsync(TimeSpan.FromSeconds(3), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _completions.Writer.TryComplete();
        await flusher;
        await heartbeatCts.CancelAsync();
        await heartbeat.ContinueWith(_ => { }, TaskScheduler.Default);
        await RegisterAsync("stopped", CancellationToken.None);
        LogStopped(logger, identity.Id);
    }

    private async Task ClaimLoopAsync(ConcurrentDictionary<Task, byte> tasks, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await _slots.WaitAsync(stoppingToken);
            var free = _slots.CurrentCount + 1; // the slot just taken is one of them
            IReadOnlyList<ClaimedJob> claimed;
            try
            {
                claimed = await ClaimAsync(Math.Min(free, settings.WorkerClaimBatch), stoppingToken);
            }
            catch (Exception ex) when (ex is RedisException or NpgsqlException or TimeoutException)
            {
                _slots.Release();
                LogClaimFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                continue;
            }

            if (claimed.Count == 0)
            {
                _slots.Release();
                // Nothing ready: sleep until a wake-up (or the safety-net interval).
                await _wake.WaitAsync(settings.WorkerPollInterval, stoppingToken);
                continue;
            }

            for (var i = 0; i < claimed.Count; i++)
            {
                if (i > 0)
                {
                    _slots.Wait(CancellationToken.None); // free ≥ claimed.Count, so this does not block
                }

                var job = claimed[i];
                var task = RunAsync(job);
                tasks.TryAdd(task, 0);
                _ = task.ContinueWith(t => tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int count, CancellationToken ct)
    {
        var ids = await broker.ClaimAsync(settings.WorkerQueues, count, settings.LeaseDuration);
        if (ids.Length == 0)
        {
            return [];
        }

        var now = Now;
        var claimed = await store.JobsClaimAsync(new JobsClaimParams(ids, identity.Id, now, now + settings.LeaseDuration), ct);
        // Every popped id is settled now: claimed ones hold a Postgres lease, the others lost the CAS (cancelled, a duplicate).
        await broker.ForgetClaimsAsync(ids);
        return claimed;
    }

    private async Task RunAsync(ClaimedJob job)
    {
        await Task.Yield();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_hardStop.Token);
        if (job.TimeoutSeconds is { } timeout)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        var running = new RunningJob(job, cts);
        _running[job.Id] = running;
        var started = time.GetTimestamp();
        try
        {
            var handler = handlers.Find(job.Type) ?? throw new InvalidOperationException($"no handler registered for job type '{job.Type}'");
            var result = await handler.HandleAsync(new JobContext(job.Id, job.Type, job.Payload, job.Attempts, job.MaxAttempts, job.Owner), cts.Token);
            _completions.Writer.TryWrite(new JobCompletion(job.Id, job.Attempts, result));
            Completed.Add(1, new KeyValuePair<string, object?>("queue", job.QueueName));
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            if (running.CancelRequested)
            {
                await SettleAsync(() => store.JobsMarkCancelledAsync(job.Id, job.Attempts, identity.Id, Now, "cancelled while running", CancellationToken.None));
            }
            else if (_hardStop.IsCancellationRequested)
            {
                var back = await SettleAsync(() => store.JobsHandBackAsync([(job.Id, job.Attempts)], identity.Id, Now, CancellationToken.None));
                if (back is { Count: > 0 })
                {
                    await SettleAsync(async () => { await broker.PushAsync(back); return true; });
                }
            }
            else
            {
                await FailAsync(job, $"timed out after {job.TimeoutSeconds}s");
            }
        }
        catch (Exception ex)
        {
            await FailAsync(job, ex.Message);
        }
        finally
        {
            Duration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("type", job.Type));
            _running.TryRemove(job.Id, out _);
            _slots.Release();
        }
    }

    private async Task FailAsync(ClaimedJob job, string error)
    {
        Interlocked.Increment(ref _failed);
        var now = Now;
        if (RetryPolicy.HasAttemptsLeft(job.Attempts, job.MaxAttempts))
        {
            Failed.Add(1, new KeyValuePair<string, object?>("queue", job.QueueName));
            var retryAt = now + _retry.DelayAfter(job.Attempts);
            var entry = await SettleAsync(() => store.JobsFailAsync(new JobsFailParams(job.Id, job.Attempts, identity.Id, error, retryAt), CancellationToken.None));
            if (entry is { } e)
            {
                await SettleAsync(async () => { await broker.PushAsync([e]); return true; });
            }
        }
        else
        {
            Dead.Add(1, new KeyValuePair<string, object?>("queue", job.QueueName));
            await SettleAsync(() => store.JobsKillAsync(new JobsKillParams(job.Id, job.Attempts, identity.Id, error, now, settings.DlqRetention), CancellationToken.None));
        }
    }

    /// <summary>
    /// Writes an outcome, retrying through a short Postgres or Redis outage. If it still fails, the lease expires
    /// and the scheduler rescues the job: at-least-once, never lost.
    /// </summary>
    private async Task<T?> SettleAsync<T>(Func<Task<T>> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (Exception ex) when (ex is NpgsqlException or RedisException or TimeoutException && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time, CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or RedisException or TimeoutException)
            {
                LogOutcomeLost(logger, ex.Message);
                return default;
            }
        }
    }

    private async Task FlushCompletionsAsync()
    {
        var reader = _completions.Reader;
        var batch = new List<JobCompletion>(256);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 1000 && reader.TryRead(out var c))
            {
                batch.Add(c);
            }

            var done = await SettleAsync(() => store.JobsCompleteManyAsync(batch, identity.Id, Now, CancellationToken.None));
            Interlocked.Add(ref _processed, batch.Count);
            if (done is not null && done.Count < batch.Count)
            {
                LogLateAnswers(logger, batch.Count - done.Count);
            }

            batch.Clear();
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.WorkerHeartbeatInterval, time);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                var ids = _running.Keys.ToArray();
                var now = Now;
                foreach (var (id, cancel) in await store.JobsExtendLeasesAsync(ids, identity.Id, now + settings.LeaseDuration, ct))
                {
                    // A cancel whose pub/sub message was lost is caught here.
                    if (cancel && _running.TryGetValue(id, out var r) && !r.CancelRequested)
                    {
                        r.CancelRequested = true;
                        await r.Cts.CancelAsync();
                    }
                }

                await RegisterAsync("active", ct);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(logger, ex.Message);
            }
        }
    }

    private async Task RegisterAsync(string status, CancellationToken ct)
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
                Running = _running.Count,
                JobsProcessed = Interlocked.Read(ref _processed),
                JobsFailed = Interlocked.Read(ref _failed),
                StartedAt = _startedAt,
                LastSeen = Now,
            }, ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogHeartbeatFailed(logger, ex.Message);
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // another wake-up got there first: one is enough
            }
        }
    }

    private async Task WaitForSchemaAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Migrator.MigrateAsync(dataSource, ct);
                return;
            }
            catch (NpgsqlException ex)
            {
                LogClaimFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
        }
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        _slots.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} started: {Slots} slots, queues {Queues}")]
    private static partial void LogStarted(ILogger logger, string workerId, int slots, string queues);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: {Running} jobs running")]
    private static partial void LogDraining(ILogger logger, int running);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} stopped")]
    private static partial void LogStopped(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claim failed: {Reason}")]
    private static partial void LogClaimFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record a job outcome ({Reason}); its lease will expire and the scheduler will rescue it")]
    private static partial void LogOutcomeLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} completions refused: their leases had expired and the jobs were rescued")]
    private static partial void LogLateAnswers(ILogger logger, int count);
}
