using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Core.Retry;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;

namespace Jobs.Api.Workers;

/// <summary>Why a remote worker's report was not taken.</summary>
internal enum LeaseRefusal
{
    None,
    /// <summary>The caller has no job by that id.</summary>
    NotFound,
    /// <summary>The lease expired, or the token is not the one of the running attempt (another attempt or worker holds it).</summary>
    NotHeld,
}

/// <summary>
/// The remote workers' protocol over the job store, under the same compare-and-set rules as the built-in workers:
/// a lease token proves one running attempt until its lease expires; then the scheduler's rescue makes the job run
/// again (the attempt counts), exactly as when a built-in worker dies. Outcomes use the built-in workers' statements
/// (complete, fail, kill into the DLQ, cancelled) with the attempt and worker the token proved.
/// </summary>
internal sealed class RemoteWorkers(PostgresJobStore store, PostgresWorkerStore workers, LeaseWake wake, JobQueueSettings settings, TimeProvider time)
{
    private readonly RetryPolicy _retry = new(settings.RetryBaseDelay, settings.RetryMaxDelay);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>A worker that stops asking is stale after this long past its last word (as a built-in one after three missed heartbeats).</summary>
    private TimeSpan Silence => settings.WorkerHeartbeatInterval * 3;

    /// <summary>Leases due jobs, waiting up to <see cref="LeaseSpec.Wait"/> for one; null when the worker id is not the caller's to use.</summary>
    public async Task<IReadOnlyList<LeasedJob>?> LeaseAsync(Caller caller, LeaseSpec spec, CancellationToken ct)
    {
        var now = Now;
        var deadline = now + spec.Wait;
        var registration = new RemoteWorkerLease(spec.WorkerId, caller.ScopeOwner, spec.Host ?? "remote", [.. spec.Queues], [.. spec.Types], spec.Max, now, deadline + Silence);
        if (!await workers.WorkersRegisterRemoteAsync(registration, ct))
        {
            return null;
        }

        while (true)
        {
            now = Now;
            var jobs = await store.JobsLeaseAsync(new JobsLeaseParams(caller.ScopeOwner, spec.WorkerId, spec.Types, spec.Queues, spec.Max, now, now + spec.Lease), ct);
            if (jobs.Count > 0 || now >= deadline)
            {
                return jobs;
            }

            await wake.WaitAsync(Min(deadline - now, TimeSpan.FromSeconds(1)), time, ct);
        }
    }

    /// <summary>Extends the lease the token proves, by <see cref="LeaseReport.Lease"/> (default 30 s) from now.</summary>
    public async Task<(ExtendedLease? Lease, LeaseRefusal Refusal)> HeartbeatAsync(Caller caller, Guid id, LeaseReport report, CancellationToken ct)
    {
        var now = Now;
        var lease = report.Lease ?? TimeSpan.FromSeconds(LeaseRequestValidator.DefaultLeaseSeconds);
        var extended = await store.JobsExtendLeaseAsync(id, caller.ScopeOwner, report.Token, now, now + lease, report.Progress, ct);
        if (extended is null)
        {
            return (null, await RefusalAsync(caller, id, ct));
        }

        await workers.WorkersTouchRemoteAsync(extended.WorkerId, now, extended.LeaseUntil + Silence, processed: 0, failed: 0, ct);
        return (extended, LeaseRefusal.None);
    }

    /// <summary>The attempt succeeded with <see cref="LeaseReport.Result"/>.</summary>
    public async Task<(Job? Job, LeaseRefusal Refusal)> CompleteAsync(Caller caller, Guid id, LeaseReport report, CancellationToken ct)
    {
        var now = Now;
        if (await store.JobsLeaseHolderAsync(id, caller.ScopeOwner, report.Token, now, ct) is not { } holder)
        {
            return (null, await RefusalAsync(caller, id, ct));
        }

        var done = await store.JobsCompleteManyAsync([new JobCompletion(id, holder.Attempts, report.Result)], holder.WorkerId, now, ct);
        return await OutcomeAsync(caller, holder, done.Count > 0, failed: false, ct);
    }

    /// <summary>
    /// The attempt failed: retried after backoff while attempts are left and the worker says it may be, else dead
    /// (into the DLQ). A job whose owner asked to cancel it ends <c>cancelled</c>: the worker stopped because of that.
    /// </summary>
    public async Task<(Job? Job, LeaseRefusal Refusal)> FailAsync(Caller caller, Guid id, LeaseReport report, CancellationToken ct)
    {
        var now = Now;
        if (await store.JobsLeaseHolderAsync(id, caller.ScopeOwner, report.Token, now, ct) is not { } holder)
        {
            return (null, await RefusalAsync(caller, id, ct));
        }

        var error = report.Error!;
        bool taken;
        if (holder.CancelRequested)
        {
            taken = await store.JobsMarkCancelledAsync(id, holder.Attempts, holder.WorkerId, now, "cancelled while running: " + error, ct);
        }
        else if (report.Retryable && RetryPolicy.HasAttemptsLeft(holder.Attempts, holder.MaxAttempts))
        {
            // Not pushed to Redis: a remote worker's type is never indexed there; the next lease after the backoff finds it.
            taken = await store.JobsFailAsync(new JobsFailParams(id, holder.Attempts, holder.WorkerId, error, now + _retry.DelayAfter(holder.Attempts)), ct) is not null;
        }
        else
        {
            taken = await store.JobsKillAsync(new JobsKillParams(id, holder.Attempts, holder.WorkerId, error, now, settings.DlqRetention), ct) is not null;
        }

        return await OutcomeAsync(caller, holder, taken, failed: true, ct);
    }

    /// <summary>A remote worker of the caller's (the admin: anyone's) says it stopped.</summary>
    public Task<bool> StopAsync(Caller caller, string workerId, CancellationToken ct) => workers.WorkersStopRemoteAsync(workerId, caller.ScopeOwner, Now, ct);

    private async Task<(Job? Job, LeaseRefusal Refusal)> OutcomeAsync(Caller caller, LeaseHolder holder, bool taken, bool failed, CancellationToken ct)
    {
        if (!taken)
        {
            // The lease ran out between the proof and the write, and the job was rescued or leased again.
            return (null, LeaseRefusal.NotHeld);
        }

        var now = Now;
        await workers.WorkersTouchRemoteAsync(holder.WorkerId, now, now + Silence, processed: 1, failed: failed ? 1 : 0, ct);
        return (await store.JobsGetAsync(holder.Id, caller.ScopeOwner, ct), LeaseRefusal.None);
    }

    private async Task<LeaseRefusal> RefusalAsync(Caller caller, Guid id, CancellationToken ct) =>
        await store.JobsStatusOfAsync(id, caller.ScopeOwner, ct) is null ? LeaseRefusal.NotFound : LeaseRefusal.NotHeld;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
