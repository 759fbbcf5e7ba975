using System.Text.Json;

namespace Worker.Service.Handlers;

/// <summary><c>noop</c>: does nothing (benchmarks, smoke tests).</summary>
public sealed class NoopHandler : IJobHandler
{
    public string Type => "noop";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary><c>echo</c>: the result is the payload.</summary>
public sealed class EchoHandler : IJobHandler
{
    public string Type => "echo";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct) => Task.FromResult<string?>(context.Payload);
}

/// <summary><c>sleep</c>: waits <c>{"ms": N}</c>, honouring cancellation.</summary>
public sealed class SleepHandler(TimeProvider time) : IJobHandler
{
    public string Type => "sleep";

    public async Task<string?> HandleAsync(JobContext context, CancellationToken ct)
    {
        var p = context.PayloadElement;
        var ms = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("ms", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) && n is >= 0 and <= int.MaxValue
            ? (int)n
            : throw new ArgumentException("sleep needs a payload {\"ms\": N} with N >= 0");
        await Task.Delay(TimeSpan.FromMilliseconds(ms), time, ct);
        return "{\"slept_ms\":" + ms.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
    }
}

/// <summary><c>fail</c>: always throws (to try retries and the DLQ).</summary>
public sealed class FailHandler : IJobHandler
{
    public string Type => "fail";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct)
    {
        var p = context.PayloadElement;
        throw new InvalidOperationException(
            p.ValueKind == JsonValueKind.Object && p.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } message
                ? message
                : "fail handler always fails");
    }
}
