namespace JobQueue.Core.Jobs;

/// <summary>
/// The one table of legal status moves, and the named moves the store makes (<see cref="Moves"/>). Each move is
/// checked against the table when this type loads, and every state write in Storage is a compare-and-set whose target
/// and expected statuses are the move's (the statement text is built from them), so the SQL and the rules cannot
/// drift apart: a move the table forbids fails at startup, and a test ties each statement to its move.
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

    /// <summary>A worker claims a due job: a new one, or a failed one whose backoff is over.</summary>
    public static readonly JobMove Claim = Move(nameof(Claim), JobStatus.Running, JobStatus.Pending, JobStatus.Failed);

    /// <summary>The attempt succeeded.</summary>
    public static readonly JobMove Complete = Move(nameof(Complete), JobStatus.Completed, JobStatus.Running);

    /// <summary>The attempt failed and the job will run again after its backoff.</summary>
    public static readonly JobMove Fail = Move(nameof(Fail), JobStatus.Failed, JobStatus.Running);

    /// <summary>The last attempt failed (or its lease expired with no attempt left): dead, with its DLQ entry.</summary>
    public static readonly JobMove Kill = Move(nameof(Kill), JobStatus.Dead, JobStatus.Running);

    /// <summary>A running attempt ended because its owner cancelled it (the handler saw the token fire).</summary>
    public static readonly JobMove CancelRunning = Move(nameof(CancelRunning), JobStatus.Cancelled, JobStatus.Running);

    /// <summary>A job cancelled before it ran: it never runs.</summary>
    public static readonly JobMove CancelWaiting = Move(nameof(CancelWaiting), JobStatus.Cancelled, JobStatus.Pending, JobStatus.Failed);

    /// <summary>A worker that stops gives its running attempts back, uncounted.</summary>
    public static readonly JobMove HandBack = Move(nameof(HandBack), JobStatus.Pending, JobStatus.Running);

    /// <summary>A running attempt whose lease expired (its worker died) waits again; the attempt counts.</summary>
    public static readonly JobMove Rescue = Move(nameof(Rescue), JobStatus.Pending, JobStatus.Running);

    /// <summary>A failed or dead job started over by hand, with a fresh set of attempts.</summary>
    public static readonly JobMove Retry = Move(nameof(Retry), JobStatus.Pending, JobStatus.Failed, JobStatus.Dead);

    /// <summary>Every move the store makes; together they use every entry of the table.</summary>
    public static IReadOnlyList<JobMove> Moves { get; } = [Claim, Complete, Fail, Kill, CancelRunning, CancelWaiting, HandBack, Rescue, Retry];

    private static JobMove Move(string name, JobStatus to, params JobStatus[] from)
    {
        foreach (var source in from)
        {
            EnsureCanMove(source, to);
        }

        return new JobMove(name, to, from);
    }

    /// <summary>True when a job may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanMove(JobStatus from, JobStatus to) => Table[from].Contains(to);

    /// <summary>Throws <see cref="InvalidJobTransitionException"/> naming both states when the move is illegal.</summary>
    internal static void EnsureCanMove(JobStatus from, JobStatus to)
    {
        if (!CanMove(from, to))
        {
            throw new InvalidJobTransitionException(from, to);
        }
    }
}

/// <summary>
/// One status write of the store: the target and the statuses it may start from (a subset of the table's sources of
/// the target). <see cref="SourcesSql"/> and <see cref="TargetSql"/> are SQL literals for statements whose plans
/// should see them (partial indexes); <see cref="FromWire"/> is the parameter for those that must not.
/// </summary>
public sealed record JobMove(string Name, JobStatus To, IReadOnlyList<JobStatus> From)
{
    /// <summary>The expected statuses in wire spelling, for <c>status = ANY(@from)</c>.</summary>
    public string[] FromWire { get; } = From.Select(s => s.ToWire()).ToArray();

    /// <summary>The target as an SQL literal, e.g. <c>'completed'</c>.</summary>
    public string TargetSql => $"'{To.ToWire()}'";

    /// <summary>The expected statuses as an SQL predicate on <paramref name="column"/>, e.g. <c>status IN ('pending', 'failed')</c>.</summary>
    public string SourcesSql(string column = "status") =>
        FromWire.Length == 1 ? $"{column} = '{FromWire[0]}'" : $"{column} IN ({string.Join(", ", FromWire.Select(s => $"'{s}'"))})";
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
