using System.Threading.Channels;
using JobQueue.Core.Configuration;
using JobQueue.Core.Retry;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Npgsql;

namespace Worker.Service.Running;

/// <summary>
/// Writes the end of each attempt to Postgres (and Redis for retries and hand-backs). Completions, the common case,
/// are buffered and written by one flusher: it drains whatever is waiting and completes it in one statement, so a
/// burst costs one UPDATE per drain (up to <see cref="MaxBatch"/>), and a lone completion is written at once because
/// the flusher is idle. Failures, kills and cancels are rare and written by the attempt itself.
/// Every write is a compare-and-set on our lease; a refused write means the lease was lost and the answer is dropped.
/// A write that fails (Postgres or Redis down) is retried with backoff while the lease can still be valid; after
/// that the lease expires and the scheduler rescues the job (at-least-once, never lost).
/// </summary>
internal sealed class OutcomeWriter(
    PostgresJobStore store,
    RedisBroker broker,
    JobQueueSettings settings,
    WorkerIdentity identity,
    RunningJobs running,
    TimeProvider time,
    ILogger<OutcomeWriter> logger)
{
    private const int MaxBatch = 1000;

    private readonly RetryPolicy _retry = new(settings.RetryBaseDelay, settings.RetryMaxDelay);
    private readonly Channel<(ClaimedJob Job, string? Result)> _completions =
        Channel.CreateUnbounded<(ClaimedJob, string?)>(new UnboundedChannelOptions { SingleReader = true });

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Queues a successful attempt for the flusher (never blocks).</summary>
    public void Complete(ClaimedJob job, string? result)
    {
        WorkerTelemetry.Completed.Add(1, WorkerTelemetry.Queue(job.QueueName), WorkerTelemetry.Type(job.Type));
        running.CountProcessed(failed: false);
        _completions.Writer.TryWrite((job, result));
    }

    /// <summary>No more completions will come; the flusher ends once it has written the rest.</summary>
    public void CloseCompletions() => _completions.Writer.TryComplete();

    /// <summary>The single flusher; ends after <see cref="CloseCompletions"/> and the last write.</summary>
    public async Task RunFlusherAsync()
    {
        var reader = _completions.Reader;
        var jobs = new List<ClaimedJob>(256);
        var batch = new List<JobCompletion>(256);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var c))
            {
                jobs.Add(c.Job);
                batch.Add(new JobCompletion(c.Job.Id, c.Job.Attempts, c.Result));
            }

            try
            {
                await FlushAsync(jobs, batch);
            }
            catch (Exception ex)
            {
                // Never let the flusher die: later completions must still be written.
                logger.OutcomeLost("completions", ex.Message);
            }

            jobs.Clear();
            batch.Clear();
        }
    }

    private async Task FlushAsync(List<ClaimedJob> jobs, List<JobCompletion> batch)
    {
        IReadOnlyList<Guid>? done;
        try
        {
            done = await WriteAsync("completions", () => store.JobsCompleteManyAsync(batch, identity.Id, Now, CancellationToken.None));
        }
        catch (PostgresException ex) when (!ex.IsTransient && batch.Count > 1)
        {
            // One bad result (e.g. text jsonb refuses) must not sink the batch: write them one by one.
            await FlushOneByOneAsync(jobs, batch);
            return;
        }
        catch (PostgresException ex) when (!ex.IsTransient)
        {
            logger.ResultNotStored(jobs[0].Id, ex.MessageText);
            await FailAsync(jobs[0], "the result could not be stored: " + ex.MessageText);
            return;
        }

        if (done is not null && done.Count < batch.Count)
        {
            logger.LateCompletions(batch.Count - done.Count);
        }
    }

    private async Task FlushOneByOneAsync(List<ClaimedJob> jobs, List<JobCompletion> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            await FlushAsync([jobs[i]], [batch[i]]);
        }
    }

    /// <summary>
    /// A failed attempt: retried after backoff (<c>failed</c>, then indexed in the delayed set) while attempts are
    /// left, else <c>dead</c> with its DLQ entry.
    /// </summary>
    public async Task FailAsync(ClaimedJob job, string error)
    {
        running.CountProcessed(failed: true);
        try
        {
            if (RetryPolicy.HasAttemptsLeft(job.Attempts, job.MaxAttempts))
            {
                WorkerTelemetry.Failed.Add(1, WorkerTelemetry.Queue(job.QueueName), WorkerTelemetry.Type(job.Type));
                var retryAt = Now + _retry.DelayAfter(job.Attempts);
                var entry = await WriteAsync("failure", () => store.JobsFailAsync(new JobsFailParams(job.Id, job.Attempts, identity.Id, error, retryAt), CancellationToken.None));
                if (entry is not { } e)
                {
                    logger.LateAnswer(job.Id, "failure");
                    return;
                }

                // If this push is lost the job is still 'failed' in Postgres with its retry time: the scheduler's
                // rebuild of the index finds it. The push just makes the retry prompt.
                await WriteAsync("retry index", async () => { await broker.PushAsync([e]); return true; });
            }
            else
            {
                WorkerTelemetry.Dead.Add(1, WorkerTelemetry.Queue(job.QueueName), WorkerTelemetry.Type(job.Type));
                var dlq = await WriteAsync("death", () => store.JobsKillAsync(new JobsKillParams(job.Id, job.Attempts, identity.Id, error, Now, settings.DlqRetention), CancellationToken.None));
                if (dlq is null)
                {
                    logger.LateAnswer(job.Id, "death");
                }
            }
        }
        catch (Exception ex)
        {
            logger.OutcomeLost("failure", ex.Message);
        }
    }

    /// <summary>The owner cancelled the running job and its handler stopped: it ends <c>cancelled</c>.</summary>
    public async Task MarkCancelledAsync(ClaimedJob job)
    {
        running.CountProcessed(failed: false);
        try
        {
            if (!await WriteAsync("cancellation", () => store.JobsMarkCancelledAsync(job.Id, job.Attempts, identity.Id, Now, "cancelled while running", CancellationToken.None)))
            {
                logger.LateAnswer(job.Id, "cancellation");
            }
        }
        catch (Exception ex)
        {
            logger.OutcomeLost("cancellation", ex.Message);
        }
    }

    /// <summary>Gives unfinished attempts back at shutdown (not counted as attempts) and re-indexes them.</summary>
    public async Task HandBackAsync(IReadOnlyList<ClaimedJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        try
        {
            var pairs = jobs.Select(j => (j.Id, j.Attempts)).ToList();
            var entries = await WriteAsync("hand-back", () => store.JobsHandBackAsync(pairs, identity.Id, Now, CancellationToken.None));
            if (entries is { Count: > 0 })
            {
                await WriteAsync("hand-back index", async () => { await broker.PushAsync(entries); return true; });
            }

            logger.HandedBack(entries?.Count ?? 0);
        }
        catch (Exception ex)
        {
            // Still leased to us: when the lease expires the scheduler puts them back.
            logger.OutcomeLost("hand-back", ex.Message);
        }
    }

    /// <summary>
    /// Runs a write, retrying connection-level failures with backoff for up to the lease duration (past it the
    /// scheduler owns the job). A server-side refusal (constraint, bad data) is not retried: it is thrown.
    /// Returns default when it gave up.
    /// </summary>
    private async Task<T?> WriteAsync<T>(string outcome, Func<Task<T>> write)
    {
        var giveUpAt = time.GetUtcNow() + settings.LeaseDuration;
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (Exception ex) when (IsRetryable(ex) && time.GetUtcNow() + delay < giveUpAt)
            {
                logger.OutcomeRetry(outcome, attempt, ex.Message);
                await Task.Delay(delay, time, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (Exception ex) when (IsRetryable(ex))
            {
                logger.OutcomeLost(outcome, ex.Message);
                return default;
            }
        }
    }

    private static bool IsRetryable(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient,
        NpgsqlException or StackExchange.Redis.RedisException or TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };
}
