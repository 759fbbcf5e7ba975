using System.Collections.Concurrent;
using JobQueue.Storage.Postgres;

namespace Worker.Service.Running;

/// <summary>Why a running job's token fired (a timeout fires it with <see cref="None"/>).</summary>
internal enum StopReason
{
    None = 0,
    /// <summary>The owner cancelled the job: it ends <c>cancelled</c>.</summary>
    Cancel = 1,
    /// <summary>The worker is stopping and the job did not finish in time: it is handed back.</summary>
    Shutdown = 2,
    /// <summary>Our lease is gone (the job was rescued): the answer would be refused, so stop working on it.</summary>
    LeaseLost = 3,
}

/// <summary>
/// One attempt in progress. Its outcome is written by exactly one party: the runner (<see cref="TrySettle"/>) or,
/// at the shutdown deadline, the drain (<see cref="TryTakeForHandBack"/>), whichever comes first.
/// </summary>
internal sealed class RunningJob(ClaimedJob job, CancellationTokenSource cts)
{
    private const int Running = 0, Settled = 1, HandedBack = 2;
    private int _state;
    private int _reason;

    public ClaimedJob Job { get; } = job;

    public CancellationToken Token { get; } = cts.Token;

    public StopReason Reason => (StopReason)Volatile.Read(ref _reason);

    /// <summary>True until the runner or the drain has taken the outcome.</summary>
    public bool IsUnsettled => Volatile.Read(ref _state) == Running;

    public bool TrySettle() => Interlocked.CompareExchange(ref _state, Settled, Running) == Running;

    public bool TryTakeForHandBack() => Interlocked.CompareExchange(ref _state, HandedBack, Running) == Running;

    /// <summary>Fires the handler's token; the first reason given wins.</summary>
    public void Stop(StopReason reason)
    {
        Interlocked.CompareExchange(ref _reason, (int)reason, (int)StopReason.None);
        try
        {
            // CancelAsync: callbacks (the handler's continuations) run on the thread pool, not on the caller
            // (a Redis pub/sub thread or the heartbeat).
            _ = cts.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // the attempt ended meanwhile
        }
    }
}

/// <summary>The attempts this worker runs now, and its counters (for the heartbeat and the workers list).</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<Guid, RunningJob> _jobs = new();
    private long _processed;
    private long _failed;

    public int Count => _jobs.Count;

    public long Processed => Interlocked.Read(ref _processed);

    public long Failed => Interlocked.Read(ref _failed);

    public void Add(RunningJob job) => _jobs[job.Job.Id] = job;

    public void Remove(Guid id) => _jobs.TryRemove(id, out _);

    public bool TryGet(Guid id, out RunningJob job) => _jobs.TryGetValue(id, out job!);

    public Guid[] Ids() => _jobs.Keys.ToArray();

    public RunningJob[] Snapshot() => _jobs.Values.ToArray();

    public void CountProcessed(bool failed)
    {
        Interlocked.Increment(ref _processed);
        if (failed)
        {
            Interlocked.Increment(ref _failed);
        }
    }
}
