using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using JobQueue.Core.Validation;
using JobQueue.Storage.Postgres;
using Worker.Service.Handlers;

namespace Worker.Service.Running;

/// <summary>
/// Runs one claimed attempt: finds the handler, runs it under a token that fires on timeout, cancel, lost lease or
/// the shutdown deadline, and hands the outcome to the <see cref="OutcomeWriter"/>. Per job it allocates the
/// context, one CancellationTokenSource and the bookkeeping entry; no log line above Debug, no activity unless
/// someone listens.
/// </summary>
internal sealed class JobRunner(
    HandlerRegistry handlers,
    RunningJobs running,
    OutcomeWriter outcomes,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    public async Task RunAsync(ClaimedJob job)
    {
        var cts = new CancellationTokenSource();
        if (job.TimeoutSeconds is > 0 and var timeout)
        {
            cts.CancelAfter(TimeSpan.FromSeconds(timeout));
        }

        var entry = new RunningJob(job, cts);
        running.Add(entry);
        var activity = WorkerTelemetry.StartJob(job.Id, job.Type, job.QueueName, job.Attempts, job.TraceParent);
        var started = time.GetTimestamp();
        string? result = null;
        string? error = null;
        var stopped = false;
        try
        {
            if (handlers.Find(job.Type) is not { } handler)
            {
                error = $"no handler registered for job type '{job.Type}'";
            }
            else
            {
                var run = handler.HandleAsync(new JobContext(job.Id, job.Type, job.Payload, job.Attempts, job.MaxAttempts, job.Owner), entry.Token);
                // WaitAsync: a handler that ignores its token still loses its slot on timeout, cancel or shutdown
                // (it costs nothing when the handler finished synchronously, as noop and echo do).
                result = run.IsCompleted ? await run : await run.WaitAsync(entry.Token);
                if (result is not null && !ReferenceEquals(result, job.Payload) && ResultRefusal(result) is { } refusal)
                {
                    error = $"handler for '{job.Type}' returned a result that cannot be stored: {refusal}";
                }
            }
        }
        catch (Exception ex) when (entry.Token.IsCancellationRequested)
        {
            stopped = true;
            error = ex.Message;
        }
        catch (Exception ex)
        {
            error = string.IsNullOrEmpty(ex.Message) ? ex.GetType().Name : ex.Message;
        }
        finally
        {
            var seconds = time.GetElapsedTime(started).TotalSeconds;
            WorkerTelemetry.Duration.Record(seconds, WorkerTelemetry.Queue(job.QueueName), WorkerTelemetry.Type(job.Type));
        }

        try
        {
            await SettleAsync(job, entry, result, error, stopped, activity);
        }
        finally
        {
            running.Remove(job.Id);
            cts.Dispose();
            activity?.Dispose();
        }
    }

    private Task SettleAsync(ClaimedJob job, RunningJob entry, string? result, string? error, bool stopped, Activity? activity)
    {
        if (stopped)
        {
            switch (entry.Reason)
            {
                case StopReason.Shutdown:
                    // Left unsettled on purpose: the drain hands it back with the others.
                    activity?.SetStatus(ActivityStatusCode.Error, "handed back at shutdown");
                    return Task.CompletedTask;
                case StopReason.LeaseLost:
                    activity?.SetStatus(ActivityStatusCode.Error, "lease lost");
                    return Task.CompletedTask;
                case StopReason.Cancel:
                    if (!entry.TrySettle())
                    {
                        return Task.CompletedTask;
                    }

                    logger.JobCancelled(job.Id);
                    activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                    return outcomes.MarkCancelledAsync(job);
                default:
                    error = $"timed out after {job.TimeoutSeconds}s";
                    break;
            }
        }

        if (!entry.TrySettle())
        {
            return Task.CompletedTask; // the drain handed it back meanwhile: this answer is not ours to give
        }

        if (error is null)
        {
            outcomes.Complete(job, result);
            return Task.CompletedTask;
        }

        logger.JobFailed(job.Id, job.Type, job.Attempts, error);
        activity?.SetStatus(ActivityStatusCode.Error, error);
        return outcomes.FailAsync(job, error);
    }

    /// <summary>
    /// Checks that a handler's result is one JSON value Postgres can store (<see cref="StorableJson"/>: no NUL, valid
    /// Unicode, numbers a double holds) before it reaches the batched completion, where a refused cast would fail
    /// the whole batch. An <c>http.request</c> result carries whatever the remote answered. Reads UTF-8 from a stack
    /// or pooled buffer: no garbage.
    /// </summary>
    internal static string? ResultRefusal(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            return StorableJson.Refusal(buffer[..Encoding.UTF8.GetBytes(text, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
