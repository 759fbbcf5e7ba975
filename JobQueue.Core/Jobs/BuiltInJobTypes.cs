namespace JobQueue.Core.Jobs;

/// <summary>
/// The job types the built-in workers (Worker.Service) run. Only these are indexed in Redis for them to claim; every
/// other type waits in Postgres for a remote worker that leases it over HTTP (<c>POST /api/v1/workers/lease</c>).
/// Before remote workers, a built-in worker claimed every job and failed one it had no handler for, burning its
/// attempts; now a job of a type no live worker serves waits, and <c>/api/v1/stats</c> counts it as unserved.
/// Worker.Service checks at start that its handlers are exactly these, so an added handler is added here too.
/// </summary>
public static class BuiltInJobTypes
{
    public static IReadOnlyList<string> All { get; } = ["noop", "echo", "sleep", "fail", "http.request"];

    private static readonly HashSet<string> Set = new(All, StringComparer.Ordinal);

    public static bool Contains(string type) => Set.Contains(type);

    /// <summary>The types as an SQL list of literals, <c>('noop', 'echo', …)</c>: the remote lease's partial index names the same list.</summary>
    public static string SqlList() => "(" + string.Join(", ", All.Select(t => "'" + t + "'")) + ")";
}
