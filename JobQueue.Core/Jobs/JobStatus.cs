namespace JobQueue.Core.Jobs;

/// <summary>
/// The closed set of states a job can be in. <c>Failed</c> means "failed, will retry after backoff";
/// <c>Dead</c> means the attempts are spent and a DLQ entry exists. Moves between them are governed by
/// <see cref="JobTransitions"/> alone.
/// </summary>
public enum JobStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Dead,
    Cancelled,
}

/// <summary>Wire and database names of <see cref="JobStatus"/> (lower case, as the original API spells them).</summary>
public static class JobStatusNames
{
    /// <summary>All statuses in their wire spelling.</summary>
    public static readonly IReadOnlyList<string> All = ["pending", "running", "completed", "failed", "dead", "cancelled"];

    /// <summary>The wire/database name of a status.</summary>
    public static string ToWire(this JobStatus status) => status switch
    {
        JobStatus.Pending => "pending",
        JobStatus.Running => "running",
        JobStatus.Completed => "completed",
        JobStatus.Failed => "failed",
        JobStatus.Dead => "dead",
        JobStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown job status"),
    };

    /// <summary>Parses a wire name; false for anything else (no case folding, no numbers).</summary>
    public static bool TryParse(string? value, out JobStatus status)
    {
        switch (value)
        {
            case "pending": status = JobStatus.Pending; return true;
            case "running": status = JobStatus.Running; return true;
            case "completed": status = JobStatus.Completed; return true;
            case "failed": status = JobStatus.Failed; return true;
            case "dead": status = JobStatus.Dead; return true;
            case "cancelled": status = JobStatus.Cancelled; return true;
            default: status = default; return false;
        }
    }

    /// <summary>Parses a wire name or throws (used when reading rows the database constrained).</summary>
    public static JobStatus Parse(string value) =>
        TryParse(value, out var s) ? s : throw new FormatException($"'{value}' is not a job status");

    /// <summary>True for statuses a job never leaves on its own (purge and TTL apply to these).</summary>
    public static bool IsTerminal(this JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Dead or JobStatus.Cancelled;
}
