using System.Text.Json;

namespace Worker.Service.Handlers;

/// <summary>Runs one type of job. Implement it, register it with <c>services.AddJobHandler&lt;T&gt;()</c>.</summary>
public interface IJobHandler
{
    /// <summary>The job type this handler runs (the <c>type</c> of the enqueue request).</summary>
    string Type { get; }

    /// <summary>Runs one attempt; returns the result as JSON text (or null). Throwing fails the attempt.
    /// <paramref name="ct"/> fires when the job is cancelled, times out, or the worker must stop.</summary>
    Task<string?> HandleAsync(JobContext context, CancellationToken ct);
}

/// <summary>What a handler knows about the attempt it runs.</summary>
public sealed record JobContext(Guid Id, string Type, string Payload, int Attempt, int MaxAttempts, string Owner)
{
    /// <summary>The payload parsed (a JSON object).</summary>
    public JsonElement PayloadElement => JsonDocument.Parse(Payload).RootElement;
}

/// <summary>Looks a handler up by job type.</summary>
public sealed class HandlerRegistry(IEnumerable<IJobHandler> handlers)
{
    private readonly Dictionary<string, IJobHandler> _byType = handlers.ToDictionary(h => h.Type, StringComparer.Ordinal);

    public IJobHandler? Find(string type) => _byType.GetValueOrDefault(type);
}
