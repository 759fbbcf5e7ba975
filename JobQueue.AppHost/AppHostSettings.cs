using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace JobQueue.AppHost;

/// <summary>
/// What the AppHost's command line (<c>dotnet run --project JobQueue.AppHost -- --workers 4</c>) or environment
/// (<c>WORKER_REPLICAS=4</c>) changes. The command line wins.
/// </summary>
internal sealed record AppHostSettings
{
    /// <summary>The API key every service accepts in Development when API_KEY is not set (the README's quickstart uses it).</summary>
    public const string DevelopmentApiKey = "dev-api-key";

    /// <summary>The gateway's port on localhost, the system's only external endpoint (<c>--port</c>, GATEWAY_PORT).</summary>
    public int GatewayPort { get; init; } = 8080;

    /// <summary><c>--workers</c>, WORKER_REPLICAS.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Two, so a leader's loss is covered at once (<c>--schedulers</c>, SCHEDULER_REPLICAS); one leads at a time.</summary>
    public int Schedulers { get; init; } = 2;

    /// <summary><c>--jobs-api</c>, JOBS_API_REPLICAS.</summary>
    public int JobsApiReplicas { get; init; } = 1;

    /// <summary><c>--webhook-dispatchers</c>, WEBHOOK_DISPATCHER_REPLICAS; they share the deliveries.</summary>
    public int WebhookDispatchers { get; init; } = 1;

    /// <summary>
    /// Postgres's cluster (<c>postgres/</c>), Redis's folder and the Development secrets, kept across runs
    /// (<c>--data-dir</c>, JOBQUEUE_DATA_DIR; default <c>&lt;repo&gt;/.data</c>).
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>False only for throw-away clusters of tests (<c>--durable false</c>): Postgres without fsync.</summary>
    public bool Durable { get; init; } = true;

    /// <exception cref="ArgumentException">A value that is not a port, a count or a duration; the message names it.</exception>
    public static AppHostSettings Read(IConfiguration configuration, string repoRoot)
    {
        string? Value(string flag, string env) => configuration[flag] is { Length: > 0 } v ? v : configuration[env] is { Length: > 0 } e ? e : null;

        return new AppHostSettings
        {
            GatewayPort = Value("port", "GATEWAY_PORT") is { } port ? Parse(port, "--port", 1, 65535) : 8080,
            Workers = Value("workers", "WORKER_REPLICAS") is { } w ? Parse(w, "--workers", 0, 64) : 2,
            Schedulers = Value("schedulers", "SCHEDULER_REPLICAS") is { } s ? Parse(s, "--schedulers", 0, 64) : 2,
            JobsApiReplicas = Value("jobs-api", "JOBS_API_REPLICAS") is { } j ? Parse(j, "--jobs-api", 1, 64) : 1,
            WebhookDispatchers = Value("webhook-dispatchers", "WEBHOOK_DISPATCHER_REPLICAS") is { } d ? Parse(d, "--webhook-dispatchers", 0, 64) : 1,
            DataDirectory = Path.GetFullPath(Value("data-dir", "JOBQUEUE_DATA_DIR") ?? Path.Combine(repoRoot, ".data")),
            Durable = Value("durable", "JOBQUEUE_DURABLE") is not { } durable || bool.Parse(durable),
        };
    }

    private static int Parse(string text, string what, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{what}: '{text}' is not a number from {min} to {max}.");
}
