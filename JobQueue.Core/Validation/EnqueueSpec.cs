namespace JobQueue.Core.Validation;

/// <summary>A checked enqueue request: every field present, in range and normalised. Only the validator makes these.</summary>
public sealed record EnqueueSpec(
    string Type,
    string Payload,
    int Priority,
    int MaxAttempts,
    string QueueName,
    DateTime ScheduledAt,
    int? TtlSeconds,
    int? TimeoutSeconds,
    string Tags);

/// <summary>Why a request was refused: <see cref="Malformed"/> maps to 400, <see cref="Invalid"/> to 422.</summary>
public enum RequestErrorKind
{
    /// <summary>Not JSON, the wrong JSON shape or type, or an unknown field.</summary>
    Malformed,
    /// <summary>Well-formed JSON whose values break a rule (missing type, priority out of range, …).</summary>
    Invalid,
}

/// <summary>A refusal with the message shown to the caller.</summary>
public sealed record RequestError(RequestErrorKind Kind, string Message);
