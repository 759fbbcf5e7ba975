using System.Diagnostics;

namespace JobQueue.Benchmarks;

/// <summary>
/// <c>--start-system</c>: the AppHost through Aspire.Hosting.Testing (JobQueue.Testing's system), as the end-to-end
/// tests start it but with durable Postgres (fsync on), on ports DCP chooses. The pids of every resource come from
/// its state, each the root of the process tree whose CPU is counted.
/// </summary>
internal sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly Testing.SystemUnderTest _system;

    private SystemUnderTest(Testing.SystemUnderTest system) => _system = system;

    public string GatewayUrl => _system.GatewayUrl;

    public string PostgresConnectionString => _system.PostgresConnectionString;

    /// <summary>Resource replica → the pid DCP started (postgres: its wrapper; a service: its <c>dotnet run</c>).</summary>
    public Dictionary<string, int> Pids => _system.ResourcePids();

    public static async Task<SystemUnderTest> StartAsync(BenchOptions opts, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        Console.WriteLine($"starting system: the AppHost with --workers {opts.Workers}, durable Postgres");
        var system = await Testing.SystemUnderTest.StartAsync(
            new Testing.SystemUnderTestOptions
            {
                Workers = opts.Workers,
                ApiKey = opts.ApiKey,
                Durable = true,
                // The benchmark's own environment (WORKER_COUNT, WORKER_CLAIM_BATCH, ...) reaches every service.
                Environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .Where(e => e.Key is string k && (k.StartsWith("WORKER_", StringComparison.Ordinal) || k.StartsWith("SCHEDULER_", StringComparison.Ordinal) || k.StartsWith("JOBS_", StringComparison.Ordinal)))
                    .ToDictionary(e => (string)e.Key, e => (string)e.Value!),
            },
            ct);
        var sut = new SystemUnderTest(system);
        Console.WriteLine($"system ready after {started.Elapsed.TotalSeconds:F1} s: gateway {sut.GatewayUrl}; processes " +
            string.Join(", ", sut.Pids.Select(p => $"{p.Key}={p.Value}")));
        return sut;
    }

    public async ValueTask DisposeAsync()
    {
        var stopping = Stopwatch.StartNew();
        await _system.DisposeAsync();
        Console.WriteLine($"system stopped in {stopping.Elapsed.TotalSeconds:F1} s");
    }
}
