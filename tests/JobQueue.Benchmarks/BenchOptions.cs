using System.Globalization;
using Npgsql;

namespace JobQueue.Benchmarks;

internal sealed class BenchmarkException(string message) : Exception(message);

/// <summary>The command line.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        Usage: JobQueue.Benchmarks [options]
          --url URL               gateway (default http://127.0.0.1:8080; must be loopback)
          --api-key K             X-API-Key (default $API_KEY, else dev-api-key; with --start-system: bench-key)
          --postgres CONNSTR      Npgsql connection string of the system's database (default $ConnectionStrings__postgres)
          --scenario LIST         all | comma list of throughput,latency,pickup,backlog (default all)
          --backlog N[,N...]      backlog sizes (default 10000)
          --throughput-jobs N     (default 20000)    --batch N (default 500)    --senders N (default 4)
          --latency-clients N     (default 32)       --latency-seconds S (default 10)   --latency-requests N (default 10000)
          --pickup-count N        (default 200)      --pickup-gap-ms MS (default 20)
          --pids name=pid,...     processes whose CPU time to report (filled in by --start-system)
          --start-system          start the AppHost (Aspire.Hosting.Testing, temp data dir, durable Postgres), run, stop it
          --workers N             worker replicas for --start-system (default 2)
          --json-out FILE         also write the RESULT json there
          --label TEXT            free text stored in the result
          --no-sampling           do not sample pg_stat_activity / threads during scenarios
        Environment (WORKER_*, SCHEDULER_*, JOBS_*: WORKER_COUNT, WORKER_CLAIM_BATCH, ...) is passed to the started system.
        """;

    public string Url { get; init; } = "http://127.0.0.1:8080";

    public string ApiKey { get; init; } = "dev-api-key";

    public string Postgres { get; init; } = "";

    public IReadOnlyList<string> Scenarios { get; init; } = ["throughput", "latency", "pickup", "backlog"];

    public IReadOnlyList<int> Backlog { get; init; } = [10_000];

    public int ThroughputJobs { get; init; } = 20_000;

    public int Batch { get; init; } = 500;

    public int Senders { get; init; } = 4;

    public int LatencyClients { get; init; } = 32;

    public double LatencySeconds { get; init; } = 10;

    public int LatencyRequests { get; init; } = 10_000;

    public int PickupCount { get; init; } = 200;

    public int PickupGapMs { get; init; } = 20;

    public Dictionary<string, int> Pids { get; init; } = [];

    public bool StartSystem { get; init; }

    public int Workers { get; init; } = 2;



    public string? JsonOut { get; init; }

    public string? Label { get; init; }

    public bool Sampling { get; init; } = true;

    public bool ShowHelp { get; init; }

    public string RunId { get; } = "b" + Guid.NewGuid().ToString("N")[..10];

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions
        {
            ApiKey = Environment.GetEnvironmentVariable("API_KEY") is { Length: > 0 } k ? k : "dev-api-key",
            Postgres = Environment.GetEnvironmentVariable("ConnectionStrings__postgres") ?? "",
        };
        var apiKeyGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int Int() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{flag}: not a positive number");
            switch (flag)
            {
                case "--url": o = o with { Url = Value().TrimEnd('/') }; break;
                case "--api-key": o = o with { ApiKey = Value() }; apiKeyGiven = true; break;
                case "--postgres": o = o with { Postgres = Value() }; break;
                case "--scenario":
                    var s = Value();
                    o = o with { Scenarios = s == "all" ? ["throughput", "latency", "pickup", "backlog"] : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    if (o.Scenarios.Except(["throughput", "latency", "pickup", "backlog"]).FirstOrDefault() is { } bad)
                    {
                        throw new ArgumentException($"unknown scenario '{bad}'");
                    }

                    break;
                case "--backlog":
                    o = o with { Backlog = Value().Split(',').Select(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1_000_000 ? n : throw new ArgumentException($"--backlog: '{x}'")).ToList() };
                    break;
                case "--throughput-jobs": o = o with { ThroughputJobs = Int() }; break;
                case "--batch": o = o with { Batch = Math.Min(500, Int()) }; break;
                case "--senders": o = o with { Senders = Int() }; break;
                case "--latency-clients": o = o with { LatencyClients = Int() }; break;
                case "--latency-seconds": o = o with { LatencySeconds = Int() }; break;
                case "--latency-requests": o = o with { LatencyRequests = Int() }; break;
                case "--pickup-count": o = o with { PickupCount = Int() }; break;
                case "--pickup-gap-ms": o = o with { PickupGapMs = Int() }; break;
                case "--pids":
                    o = o with
                    {
                        Pids = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('='))
                            .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture)),
                    };
                    break;
                case "--start-system": o = o with { StartSystem = true }; break;
                case "--workers": o = o with { Workers = Int() }; break;
                case "--json-out": o = o with { JsonOut = Value() }; break;
                case "--label": o = o with { Label = Value() }; break;
                case "--no-sampling": o = o with { Sampling = false }; break;
                case "-h" or "--help": o = o with { ShowHelp = true }; break;
                default: throw new ArgumentException($"unknown option '{flag}'");
            }
        }

        if (o.StartSystem && !apiKeyGiven)
        {
            o = o with { ApiKey = "bench-key" };
        }

        return o;
    }

    /// <summary>The benchmark only ever talks to this machine.</summary>
    public static void RequireLoopback(string url, string postgres)
    {
        var host = new Uri(url).Host;
        if (host is not ("127.0.0.1" or "localhost" or "[::1]" or "::1"))
        {
            throw new BenchmarkException($"--url must point at 127.0.0.1 (got {host})");
        }

        if (postgres.Length == 0)
        {
            throw new BenchmarkException("--postgres is required (the benchmark counts completed jobs in Postgres)");
        }

        var pgHost = new NpgsqlConnectionStringBuilder(postgres).Host;
        if (pgHost is not ("127.0.0.1" or "localhost" or "::1"))
        {
            throw new BenchmarkException($"--postgres must point at 127.0.0.1 (got {pgHost})");
        }
    }
}
