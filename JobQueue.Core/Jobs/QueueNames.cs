namespace JobQueue.Core.Jobs;

/// <summary>The fixed queues. A job names one of these or is rejected (the original silently parked others for ever).</summary>
public static class QueueNames
{
    public const string Critical = "critical";
    public const string Default = "default";
    public const string Bulk = "bulk";

    /// <summary>The queues in the order a worker looks at them when scores tie.</summary>
    public static readonly IReadOnlyList<string> All = [Critical, Default, Bulk];

    /// <summary>True for a known queue name (exact spelling).</summary>
    public static bool IsKnown(string? name) => name is Critical or Default or Bulk;
}
