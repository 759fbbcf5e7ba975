using System.Collections.Frozen;
using System.Text.Json;
using JobQueue.Core.Jobs;

namespace Worker.Service.Handlers;

/// <summary>
/// Runs one type of job. Implement it and register it with <c>services.AddJobHandler&lt;T&gt;()</c>; the job's
/// <c>type</c> picks the handler. Handlers are singletons and run concurrently.
/// </summary>
public interface IJobHandler
{
    /// <summary>The job type this handler runs (the <c>type</c> of the enqueue request).</summary>
    string Type { get; }

    /// <summary>
    /// Runs one attempt; returns the result as JSON text (or null for none). Throwing fails the attempt (it is
    /// retried after backoff, then dead-lettered). <paramref name="ct"/> fires when the job times out, is cancelled,
    /// or the worker must give it back at the end of its shutdown grace period.
    /// </summary>
    Task<string?> HandleAsync(JobContext context, CancellationToken ct);
}

/// <summary>What a handler knows about the attempt it runs.</summary>
public sealed class JobContext(Guid id, string type, string payload, int attempt, int maxAttempts, string owner)
{
    private JsonElement? _payload;

    public Guid Id { get; } = id;

    public string Type { get; } = type;

    /// <summary>The payload as raw JSON text.</summary>
    public string Payload { get; } = payload;

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; } = attempt;

    public int MaxAttempts { get; } = maxAttempts;

    /// <summary>The tenant that enqueued the job.</summary>
    public string Owner { get; } = owner;

    /// <summary>The payload parsed, on first use only (noop and echo never pay for it).</summary>
    public JsonElement PayloadElement => _payload ??= Parse(Payload);

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}

/// <summary>Looks a handler up by job type. A later registration of a type replaces an earlier one (so an application can replace a built-in).</summary>
public sealed class HandlerRegistry(IEnumerable<IJobHandler> handlers)
{
    private readonly FrozenDictionary<string, IJobHandler> _byType = Build(handlers);

    public IJobHandler? Find(string type) => _byType.GetValueOrDefault(type);

    public IEnumerable<string> Types => _byType.Keys;

    private static FrozenDictionary<string, IJobHandler> Build(IEnumerable<IJobHandler> handlers)
    {
        var map = new Dictionary<string, IJobHandler>(StringComparer.Ordinal);
        foreach (var h in handlers)
        {
            map[h.Type] = h;
        }

        // Only BuiltInJobTypes are indexed for the built-in workers: a handler of another type would never be given a
        // job, and a listed type without a handler would be claimed and failed. Refuse to start with either.
        if (!map.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(BuiltInJobTypes.All))
        {
            throw new InvalidOperationException(
                $"the worker's handlers ({string.Join(", ", map.Keys.Order(StringComparer.Ordinal))}) must be exactly JobQueue.Core.Jobs.BuiltInJobTypes " +
                $"({string.Join(", ", BuiltInJobTypes.All)}): add a new handler's type there");
        }

        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
