namespace Worker.Service.Running;

/// <summary>This process's worker id, <c>{host}-{pid}-{replica}</c> (replica from <c>JOBQUEUE_REPLICA_INDEX</c>).</summary>
public sealed class WorkerIdentity(string replica)
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{replica}";
}
