using System.Globalization;
using System.Text.RegularExpressions;

namespace JobQueue.AppHost.Hosting;

/// <summary>The AppHost's command line and environment.</summary>
internal sealed partial record AppHostOptions
{
    public const string Usage = """
        Usage: dotnet run --project JobQueue.AppHost -- [options]

          --port N          gateway port on 127.0.0.1 (env GATEWAY_PORT; default 8080)
          --workers N       worker replicas (env WORKER_REPLICAS; default 2)
          --schedulers N    scheduler replicas (env SCHEDULER_REPLICAS; default 1; one leader at a time)
          --webhook-dispatchers N
                            webhook dispatcher replicas (env WEBHOOK_DISPATCHER_REPLICAS; default 1; they share the work)
          --data-dir DIR    where Postgres keeps its data across runs: DIR/postgres, DIR/redis
                            (env JOBQUEUE_DATA_DIR; default <repo>/.data)
          --no-services     start only Postgres and Redis and print their connection strings
          -h, --help        show this help

        Environment: ConnectionStrings__postgres (or DATABASE_DSN) and ConnectionStrings__redis (or REDIS_ADDR)
        name servers to use instead of starting our own. DOTNET_ENVIRONMENT (default Development); in Development
        API_KEY defaults to dev-api-key. Every other variable (API_KEY, ADMIN_KEY, WORKER_COUNT, RETRY_BASE_DELAY,
        WORKER_SHUTDOWN_TIMEOUT, ...) reaches the services as is.
        """;

    public int GatewayPort { get; init; } = 8080;

    public int Workers { get; init; } = 2;

    public int Schedulers { get; init; } = 1;

    public int WebhookDispatchers { get; init; } = 1;

    public required string DataDirectory { get; init; }

    public bool NoServices { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>DOTNET_ENVIRONMENT, else ASPNETCORE_ENVIRONMENT, else Development; passed on to every service.</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>How long a worker may take to finish its jobs when stopped (WORKER_SHUTDOWN_TIMEOUT, default 30 s).</summary>
    public TimeSpan WorkerShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <exception cref="ArgumentException">A bad flag or value; the message says which.</exception>
    public static AppHostOptions Parse(IReadOnlyList<string> args, Func<string, string?> env, string repoRoot)
    {
        var options = new AppHostOptions
        {
            GatewayPort = env("GATEWAY_PORT") is { Length: > 0 } p ? ParsePort(p, "GATEWAY_PORT") : 8080,
            Workers = env("WORKER_REPLICAS") is { Length: > 0 } w ? ParseCount(w, "WORKER_REPLICAS") : 2,
            Schedulers = env("SCHEDULER_REPLICAS") is { Length: > 0 } sc ? ParseCount(sc, "SCHEDULER_REPLICAS") : 1,
            WebhookDispatchers = env("WEBHOOK_DISPATCHER_REPLICAS") is { Length: > 0 } wd ? ParseCount(wd, "WEBHOOK_DISPATCHER_REPLICAS") : 1,
            DataDirectory = Path.GetFullPath(env("JOBQUEUE_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine(repoRoot, ".data")),
            EnvironmentName = env("DOTNET_ENVIRONMENT") is { Length: > 0 } e1 ? e1 : env("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } e2 ? e2 : "Development",
            WorkerShutdownTimeout = env("WORKER_SHUTDOWN_TIMEOUT") is { Length: > 0 } t ? ParseDuration(t, "WORKER_SHUTDOWN_TIMEOUT") : TimeSpan.FromSeconds(30),
        };

        for (var i = 0; i < args.Count; i++)
        {
            var (flag, inline) = args[i].Split('=', 2) is [var f, var v] && f.StartsWith("--", StringComparison.Ordinal) ? (f, v) : (args[i], null);
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value."));
            options = flag switch
            {
                "--port" => options with { GatewayPort = ParsePort(Value(), flag) },
                "--workers" => options with { Workers = ParseCount(Value(), flag) },
                "--schedulers" => options with { Schedulers = ParseCount(Value(), flag) },
                "--webhook-dispatchers" => options with { WebhookDispatchers = ParseCount(Value(), flag) },
                "--data-dir" => options with { DataDirectory = Path.GetFullPath(Value()) },
                "--no-services" => options with { NoServices = true },
                "-h" or "--help" => options with { ShowHelp = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }

        return options;
    }

    /// <summary>Accepts Go-style durations as the services do (<c>100ms</c>, <c>30s</c>, <c>1m30s</c>), plain seconds, or <c>hh:mm:ss</c>.</summary>
    public static TimeSpan ParseDuration(string text, string what)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
        {
            return span;
        }

        var parts = GoDuration().Matches(text);
        if (parts.Count == 0 || string.Concat(parts.Select(m => m.Value)) != text)
        {
            throw new ArgumentException($"{what}: '{text}' is not a duration (e.g. 30s, 500ms, 1m).");
        }

        return parts.Aggregate(TimeSpan.Zero, (sum, m) =>
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return sum + m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        });
    }

    private static int ParsePort(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new ArgumentException($"{what}: '{text}' is not a TCP port.");

    private static int ParseCount(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 64
            ? n
            : throw new ArgumentException($"{what}: '{text}' is not a replica count (0-64).");

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)")]
    private static partial Regex GoDuration();
}
