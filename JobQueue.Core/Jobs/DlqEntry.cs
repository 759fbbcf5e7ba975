namespace JobQueue.Core.Jobs;

/// <summary>A dead job's copy in the dead-letter queue, kept until requeued or expired.</summary>
public sealed record DlqEntry
{
    public required Guid Id { get; init; }
    public required Guid JobId { get; init; }
    public required string Owner { get; init; }
    public Guid? ApiKeyId { get; init; }
    public required string Type { get; init; }
    public string Payload { get; init; } = "{}";
    public int Priority { get; init; }
    public string QueueName { get; init; } = QueueNames.Default;
    public int MaxAttempts { get; init; }
    public int TotalAttempts { get; init; }
    public string? LastError { get; init; }
    public DateTime DiedAt { get; init; }
    public DateTime OriginalCreatedAt { get; init; }
    public bool Requeued { get; init; }
    public DateTime? RequeuedAt { get; init; }
    public Guid? NewJobId { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public string Tags { get; init; } = "{}";
}
