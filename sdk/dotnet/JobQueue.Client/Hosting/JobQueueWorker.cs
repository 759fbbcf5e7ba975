using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobQueue.Client.Hosting;

/// <summary>
/// The hosted worker. One loop long-polls <c>/workers/lease</c> for as many jobs as it has free slots (never more,
/// so a leased job never waits here while its lease runs down); each job runs in its own task with a heartbeat every
/// third of the lease, which also learns of a cancellation. On host stop it stops leasing and lets the running
/// handlers finish; when the host's shutdown timeout passes it cancels them and reports their jobs failed
/// (retryable), then tells the server it stopped.
/// </summary>
internal sealed class JobQueueWorker(
    IServiceProvider services,
    JobQueueHandlerRegistry registry,
    IOptions<JobQueueWorkerOptions> options,
    ILogger<JobQueueWorker> logger) : BackgroundService
{
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(10);
    private readonly IServiceProvider _services = services;
    private readonly JobQueueHandlerRegistry _registry = registry;
    private readonly ILogger _logger = logger;
    private readonly JobQueueWorkerOptions _options = options.Value;
    private readonly JobQueueClient _client = services.GetRequiredService<JobQueueClient>();
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    /// <summary>Fires when the host's shutdown timeout has passed: the handlers still running are cancelled.</summary>
    private readonly CancellationTokenSource _abort = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_registry.Handlers.Count == 0)
        {
            throw new InvalidOperationException("AddJobQueueWorker() has no handler: add one with .AddHandler<THandler>(\"job.type\").");
        }

        var types = _registry.Handlers.Keys.ToList();
        var slots = new SemaphoreSlim(_options.Concurrency);
        var failures = 0;
        Log.Started(_logger, _options.WorkerId, string.Join(", ", types), _options.Concurrency);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var free = 1;
            while (free < Math.Min(_options.Concurrency, 100) && slots.Wait(0, CancellationToken.None))
            {
                free++;
            }

            IReadOnlyList<LeasedJob> jobs;
            try
            {
                jobs = await _client.LeaseAsync(new LeaseRequest
                {
                    WorkerId = _options.WorkerId,
                    Types = types,
                    Queues = _options.Queues?.ToList(),
                    Max = free,
                    LeaseSeconds = (int)_options.LeaseDuration.TotalSeconds,
                    WaitSeconds = (int)Math.Clamp(_options.PollWait.TotalSeconds, 0, 20),
                }, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                slots.Release(free);
                break;
            }
            catch (Exception e)
            {
                slots.Release(free);
                // The API is down or refusing: back off (0.5 s doubling to 30 s) rather than spin on it.
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, Math.Min(failures++, 6))));
                Log.LeaseFailed(_logger, e, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            if (free > jobs.Count)
            {
                slots.Release(free - jobs.Count);
            }

            foreach (var job in jobs)
            {
                _running[job.Id] = RunAsync(job, slots);
            }
        }

        await Task.WhenAll(_running.Values);
        try
        {
            using var timeout = new CancellationTokenSource(ReportTimeout);
            await _client.StopWorkerAsync(_options.WorkerId, timeout.Token);
        }
        catch (Exception e)
        {
            Log.StopReportFailed(_logger, e, _options.WorkerId);
        }

        Log.Stopped(_logger, _options.WorkerId);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host's token fires when its shutdown timeout has passed: until then running handlers may finish.
        await using var abort = cancellationToken.Register(() =>
        {
            Log.Aborting(_logger, _running.Count);
            _abort.Cancel();
        });
        await base.StopAsync(CancellationToken.None);
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    private async Task RunAsync(LeasedJob job, SemaphoreSlim slots)
    {
        await Task.Yield();
        try
        {
            await new JobRun(this, job).RunAsync();
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            slots.Release();
        }
    }

    /// <summary>One attempt of one job: its handler, its heartbeat, and why it was stopped, if it was.</summary>
    private sealed class JobRun(JobQueueWorker worker, LeasedJob job)
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(worker._abort.Token);
        private volatile string? _lostLease;
        private volatile bool _cancelRequested;

        public async Task RunAsync()
        {
            using var _ = _stop;
            using var heartbeatStop = new CancellationTokenSource();
            var heartbeat = HeartbeatLoopAsync(heartbeatStop.Token);
            var context = new JobContext(job, worker._options.SerializerOptions, (progress, ct) => BeatAsync(progress, ct));
            var handler = InvokeHandlerAsync(context);
            try
            {
                await WaitWithGraceAsync(handler);
                await ReportAsync(ct => worker._client.CompleteAsync(job.Id, job.LeaseToken, ResultOf(handler.Result), ct));
            }
            catch (Exception e)
            {
                await ReportFailureAsync(e);
            }
            finally
            {
                await heartbeatStop.CancelAsync();
                await heartbeat;
            }
        }

        private async Task<object?> InvokeHandlerAsync(JobContext context)
        {
            await Task.Yield();
            await using var scope = worker._services.CreateAsyncScope();
            var handler = (IJobQueueHandler)scope.ServiceProvider.GetRequiredService(worker._registry.Handlers[job.Type]);
            return await handler.HandleAsync(context, _stop.Token);
        }

        /// <summary>Waits for the handler; once its token has fired, only <see cref="JobQueueWorkerOptions.CancellationGrace"/> longer.</summary>
        private async Task WaitWithGraceAsync(Task handler)
        {
            var stopped = Task.Delay(Timeout.Infinite, _stop.Token);
            if (await Task.WhenAny(handler, stopped) == stopped)
            {
                await Task.WhenAny(handler, Task.Delay(worker._options.CancellationGrace, CancellationToken.None));
            }

            if (!handler.IsCompleted)
            {
                throw new OperationCanceledException($"the handler did not stop within {worker._options.CancellationGrace} of its cancellation");
            }

            await handler;
        }

        private async Task ReportFailureAsync(Exception error)
        {
            if (_lostLease is { } reason)
            {
                Log.LeaseLost(worker._logger, job.Id, reason);
                return;
            }

            var (message, retryable) = error switch
            {
                NonRetryableJobException => (error.Message, false),
                _ when _cancelRequested => ("cancelled", false),
                OperationCanceledException when worker._abort.IsCancellationRequested => ("the worker stopped before the job finished", true),
                _ => (error.Message, true),
            };
            Log.JobFailed(worker._logger, job.Id, job.Type, message);
            await ReportAsync(ct => worker._client.FailAsync(job.Id, job.LeaseToken, message, retryable, ct));
        }

        private async Task ReportAsync(Func<CancellationToken, Task> report)
        {
            try
            {
                // Not the stopping or aborting token: a job that ended is reported even while the host shuts down.
                using var timeout = new CancellationTokenSource(ReportTimeout);
                await report(timeout.Token);
            }
            catch (JobQueueException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                Log.LeaseLost(worker._logger, job.Id, e.Message);
            }
            catch (Exception e)
            {
                // The lease expires and the job runs again: at least once, never lost.
                Log.ReportFailed(worker._logger, e, job.Id);
            }
        }

        private async Task HeartbeatLoopAsync(CancellationToken done)
        {
            var interval = worker._options.LeaseDuration / 3;
            while (!done.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, done);
                    await BeatAsync(null, done);
                }
                catch (OperationCanceledException) when (done.IsCancellationRequested)
                {
                    return;
                }
                catch (JobQueueException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A missed beat is not a lost lease yet: the next one may still arrive in time.
                    Log.HeartbeatFailed(worker._logger, e, job.Id);
                }
            }
        }

        private async Task BeatAsync(JsonElement? progress, CancellationToken cancellationToken)
        {
            HeartbeatResult beat;
            try
            {
                beat = await worker._client.HeartbeatAsync(job.Id, job.LeaseToken, progress, (int)worker._options.LeaseDuration.TotalSeconds, cancellationToken);
            }
            catch (JobQueueException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                _lostLease = e.Message;
                await _stop.CancelAsync();
                throw;
            }

            if (beat.CancelRequested && !_cancelRequested)
            {
                _cancelRequested = true;
                await _stop.CancelAsync();
            }
        }

        private JsonElement? ResultOf(object? result) => result switch
        {
            null => null,
            JsonElement element => element,
            _ => JsonSerializer.SerializeToElement(result, result.GetType(), worker._options.SerializerOptions),
        };
    }
}
