namespace JobQueue.Core.Jobs;

/// <summary>
/// The one table of legal status moves. Every state write in Storage is a compare-and-set whose expected
/// statuses come from here (<see cref="SourcesOf"/>), so the SQL and the rules cannot drift apart.
/// </summary>
public static class JobTransitions
{
    private static readonly Dictionary<JobStatus, JobStatus[]> Table = new()
    {
        // claimed by a worker, or cancelled before it ran
        [JobStatus.Pending] = [JobStatus.Running, JobStatus.Cancelled],
        // outcome of an attempt; Pending = handed back on shutdown or rescued after its lease expired
        [JobStatus.Running] = [JobStatus.Completed, JobStatus.Failed, JobStatus.Dead, JobStatus.Cancelled, JobStatus.Pending],
        // a failed job waits for its backoff, then runs again; it can be cancelled or retried by hand meanwhile
        [JobStatus.Failed] = [JobStatus.Running, JobStatus.Pending, JobStatus.Cancelled],
        // a dead job can be retried by hand (POST /jobs/{id}/retry)
        [JobStatus.Dead] = [JobStatus.Pending],
        [JobStatus.Completed] = [],
        [JobStatus.Cancelled] = [],
    };

    /// <summary>True when a job may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanMove(JobStatus from, JobStatus to) => Table[from].Contains(to);

    /// <summary>Throws <see cref="InvalidJobTransitionException"/> naming both states when the move is illegal.</summary>
    public static void EnsureCanMove(JobStatus from, JobStatus to)
    {
        if (!CanMove(from, to))
        {
            throw new InvalidJobTransitionException(from, to);
        }
    }

    /// <summary>The statuses from which <paramref name="to"/> can be reached, in wire spelling, for CAS updates.</summary>
    public static string[] SourcesOf(JobStatus to) =>
        Table.Where(kv => kv.Value.Contains(to)).Select(kv => kv.Key.ToWire()).ToArray();

    /// <summary>The states a job can move to from <paramref name="from"/>.</summary>
    public static IReadOnlyList<JobStatus> TargetsOf(JobStatus from) => Table[from];
}

/// <summary>Raised when code asks for a status move the transition table forbids.</summary>
public sealed class InvalidJobTransitionException(JobStatus from, JobStatus to)
    : InvalidOperationException($"a job cannot move from '{from.ToWire()}' to '{to.ToWire()}'")
{
    /// <summary>The state the job was in.</summary>
    public JobStatus From { get; } = from;

    /// <summary>The state that was asked for.</summary>
    public JobStatus To { get; } = to;
}
