using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using JobQueue.AppHost.Resources;
using NUnit.Framework;

namespace JobQueue.Testing;

/// <summary>How to start a <see cref="SystemUnderTest"/>.</summary>
public sealed record SystemUnderTestOptions
{
    /// <summary>Worker replicas (<c>--workers</c>).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Passed as API_KEY and sent by <see cref="SystemUnderTest.Client"/> in <c>X-API-Key</c>.</summary>
    public string ApiKey { get; init; } = "test-api-key";

    /// <summary>DOTNET_ENVIRONMENT / ASPNETCORE_ENVIRONMENT of the AppHost and so of every service.</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>
    /// Extra variables for the AppHost, which passes them on to every service (RETRY_BASE_DELAY=100ms, …). Rate limits
    /// are off (<c>RATE_LIMIT_RPS=0</c>) unless set here.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long to wait for <c>JOBQUEUE READY</c>.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long the AppHost may take to stop everything on SIGTERM (workers get 35 s by default).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Copy the AppHost's output to the NUnit progress stream as it comes (or set JOBQUEUE_TEST_ECHO=1).</summary>
    public bool EchoLog { get; init; } = System.Environment.GetEnvironmentVariable("JOBQUEUE_TEST_ECHO") == "1";
}

/// <summary>One process of the system, from the AppHost's <c>JOBQUEUE PROCESS</c> lines.</summary>
/// <param name="Name">As printed: <c>jobs-api</c>, <c>worker#1</c>.</param>
/// <param name="Resource">The resource: <c>worker</c>.</param>
/// <param name="Replica">The replica index for a resource with replicas.</param>
/// <param name="Pid">The process id (SIGKILL it to test crash recovery).</param>
/// <param name="Url">Its own URL (<c>http://127.0.0.1:PORT</c>).</param>
public sealed record SystemProcess(string Name, string Resource, int? Replica, int Pid, string Url)
{
    /// <summary>Whether the process still runs.</summary>
    public bool IsAlive => Posix.IsAlive(Pid);
}

/// <summary>
/// The whole system as processes, for end-to-end tests: its own Postgres and Redis (so a test may stop, start or
/// flush them), then the built AppHost (<c>dotnet JobQueue.AppHost.dll</c>) pointed at them, on a free gateway port.
/// Ready when the AppHost prints <c>JOBQUEUE READY</c>. Disposing sends SIGTERM to the AppHost, waits for it, and
/// fails the test if any process it started is still alive.
/// </summary>
public sealed partial class SystemUnderTest : IAsyncDisposable
{
    private readonly SystemUnderTestOptions _options;
    private readonly string _directory;
    private readonly PostgresServer _postgres;
    private readonly RedisServer _redis;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<SystemProcess> _processes = [];
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HttpClient> _clients = [];
    private ChildProcess? _appHost;
    private bool _disposed;

    private SystemUnderTest(SystemUnderTestOptions options)
    {
        _options = options;
        _directory = TestPaths.NewTempDirectory("jobqueue-e2e");
        _postgres = new PostgresServer(new PostgresServerOptions { DataDirectory = Path.Combine(_directory, "postgres"), Durable = false });
        _redis = new RedisServer(new RedisServerOptions { DataDirectory = Path.Combine(_directory, "redis") });
    }

    /// <summary>The gateway, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string GatewayUrl { get; private set; } = string.Empty;

    public string ApiKey => _options.ApiKey;

    /// <summary>A client of the gateway sending <c>X-API-Key: ApiKey</c>; disposed with the system.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The <c>jobqueue</c> database the services use (superuser).</summary>
    public string PostgresConnectionString => _postgres.GetConnectionString("jobqueue");

    /// <summary>The Redis the services use; add <c>,allowAdmin=true</c> for FLUSHALL, or call <see cref="FlushRedisAsync"/>.</summary>
    public string RedisConnectionString => _redis.ConnectionString;

    /// <summary>Every process the AppHost started, as it printed them.</summary>
    public IReadOnlyList<SystemProcess> Processes => _processes;

    /// <summary>The worker replicas.</summary>
    public IReadOnlyList<SystemProcess> Workers => [.. _processes.Where(p => p.Resource == "worker")];

    /// <summary>The AppHost's pid.</summary>
    public int AppHostPid => _appHost?.Pid ?? 0;

    /// <summary>Everything the AppHost printed so far (each service's lines prefixed with its name).</summary>
    public IReadOnlyList<string> LogLines => [.. _log];

    public string Log => string.Join(System.Environment.NewLine, _log);

    /// <summary>Starts Postgres, Redis and the AppHost, and waits for READY.</summary>
    /// <exception cref="InvalidOperationException">The AppHost is not built, exited, or was not ready in time; the message holds its last lines.</exception>
    public static async Task<SystemUnderTest> StartAsync(SystemUnderTestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var system = new SystemUnderTest(options ?? new SystemUnderTestOptions());
        try
        {
            await system.StartCoreAsync(cancellationToken);
            return system;
        }
        catch
        {
            await system.ShutDownAsync(assertNoLeftovers: false);
            throw;
        }
    }

    /// <summary>The process printed as <paramref name="name"/> (<c>jobs-api</c>, <c>worker#0</c>).</summary>
    public SystemProcess Process(string name) =>
        _processes.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"No process named '{name}'; known: {string.Join(", ", _processes.Select(p => p.Name))}.", nameof(name));

    /// <summary>SIGKILLs <paramref name="process"/> (a crash: no graceful shutdown).</summary>
    public static void Kill(SystemProcess process) => Posix.Signal(process.Pid, Posix.SIGKILL);

    /// <summary>SIGTERMs <paramref name="process"/> (a graceful stop).</summary>
    public static void Terminate(SystemProcess process) => Posix.Signal(process.Pid, Posix.SIGTERM);

    /// <summary>A new client of the gateway sending <paramref name="apiKey"/> (none when null); disposed with the system.</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(GatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>Stops Postgres (fast shutdown), as an outage the services must ride out.</summary>
    public Task StopPostgresAsync() => _postgres.StopAsync();

    /// <summary>Starts Postgres again on the same port with the same data.</summary>
    public Task StartPostgresAsync(CancellationToken cancellationToken = default) => _postgres.StartAsync(cancellationToken);

    public Task StopRedisAsync() => _redis.StopAsync();

    /// <summary>Starts Redis again on the same port, empty (nothing is persisted).</summary>
    public Task StartRedisAsync(CancellationToken cancellationToken = default) => _redis.StartAsync(cancellationToken);

    /// <summary>Empties Redis, as if it had been lost: the system must rebuild its index from Postgres.</summary>
    public Task FlushRedisAsync(CancellationToken cancellationToken = default) => _redis.FlushAllAsync(cancellationToken);

    /// <summary>Waits until the AppHost's output holds a line containing <paramref name="text"/>.</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Polling.WaitUntil(() => _log.Any(l => l.Contains(text, StringComparison.Ordinal)), timeout, $"the log contains \"{text}\"", cancellationToken);

    /// <summary>
    /// SIGTERM to the AppHost, which stops everything in order; then fails (NUnit assertion) if any process it
    /// started is still alive, after killing it so nothing leaks.
    /// </summary>
    public async ValueTask DisposeAsync() => await ShutDownAsync(assertNoLeftovers: true);

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var appHostDll = TestPaths.AppHostDll;
        if (!File.Exists(appHostDll))
        {
            throw new InvalidOperationException($"{appHostDll} does not exist: build the solution first (dotnet build JobQueue.sln -c {TestPaths.Configuration}).");
        }

        await Task.WhenAll(_postgres.StartAsync(cancellationToken), _redis.StartAsync(cancellationToken));
        await _postgres.CreateDatabaseAsync("jobqueue", cancellationToken);

        var gatewayPort = FreePort.Get();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__postgres"] = PostgresConnectionString,
            ["ConnectionStrings__redis"] = RedisConnectionString,
            ["API_KEY"] = _options.ApiKey,
            ["DOTNET_ENVIRONMENT"] = _options.EnvironmentName,
            ["ASPNETCORE_ENVIRONMENT"] = _options.EnvironmentName,
            ["JOBQUEUE_DATA_DIR"] = _directory,
            ["NO_COLOR"] = "1",

            // Tests hammer the API from one address with one key: rate limits off unless a test turns them on
            // (its Environment wins over this).
            ["RATE_LIMIT_RPS"] = "0",

            // Would override what we pass, or point the services elsewhere.
            ["DATABASE_DSN"] = null,
            ["REDIS_ADDR"] = null,
            ["GATEWAY_PORT"] = null,
            ["WORKER_REPLICAS"] = null,
        };
        foreach (var (key, value) in _options.Environment)
        {
            environment[key] = value;
        }

        _appHost = await ChildProcess.StartAsync(new ChildProcessOptions(
            DotnetHost.Path,
            [appHostDll, "--workers", _options.Workers.ToString(CultureInfo.InvariantCulture), "--port", gatewayPort.ToString(CultureInfo.InvariantCulture)])
        {
            WorkingDirectory = TestPaths.RepoRoot,
            Environment = environment,
            ParentDeathSignal = Posix.SIGTERM,
            OnOutput = OnAppHostLine,
        });

        var exited = _appHost.Exited;
        var first = await Task.WhenAny(_ready.Task, exited, Task.Delay(_options.ReadyTimeout, cancellationToken));
        if (first == exited)
        {
            throw new InvalidOperationException($"The AppHost exited with code {await exited} before it was ready:{System.Environment.NewLine}{Tail()}");
        }

        if (first != _ready.Task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException($"The AppHost was not ready within {_options.ReadyTimeout.TotalSeconds:0} s:{System.Environment.NewLine}{Tail()}");
        }

        GatewayUrl = await _ready.Task;
        Client = CreateClient(_options.ApiKey);
    }

    private void OnAppHostLine(string line)
    {
        _log.Enqueue(line);
        if (_options.EchoLog)
        {
            TestContext.Progress.WriteLine(line);
        }

        if (ProcessLine().Match(line) is { Success: true } p)
        {
            var name = p.Groups["name"].Value;
            var replica = p.Groups["replica"].Success ? int.Parse(p.Groups["replica"].Value, CultureInfo.InvariantCulture) : (int?)null;
            lock (_processes)
            {
                _processes.Add(new SystemProcess(
                    name + (replica is null ? string.Empty : $"#{replica}"),
                    name,
                    replica,
                    int.Parse(p.Groups["pid"].Value, CultureInfo.InvariantCulture),
                    p.Groups["url"].Value));
            }
        }
        else if (ReadyLine().Match(line) is { Success: true } r)
        {
            _ready.TrySetResult(r.Groups["gateway"].Value);
        }
    }

    private async Task ShutDownAsync(bool assertNoLeftovers)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
            _clients.Clear();
        }

        var appHostStopped = true;
        if (_appHost is { } appHost)
        {
            appHost.Signal(Posix.SIGTERM);
            try
            {
                await appHost.Exited.WaitAsync(_options.StopTimeout);
            }
            catch (TimeoutException)
            {
                appHostStopped = false;
                appHost.Signal(Posix.SIGKILL);
                await appHost.Exited;
            }

            appHost.Dispose();
        }

        var leftovers = _processes.Where(p => p.IsAlive).ToList();
        leftovers.ForEach(Kill);
        await Task.WhenAll(_redis.StopAsync(), _postgres.StopAsync());
        TestPaths.DeleteQuietly(_directory);

        if (assertNoLeftovers)
        {
            Assert.That(appHostStopped, Is.True, $"The AppHost did not stop within {_options.StopTimeout.TotalSeconds:0} s of SIGTERM:{System.Environment.NewLine}{Tail()}");
            Assert.That(leftovers.Select(p => $"{p.Name} (pid {p.Pid})"), Is.Empty, "processes still alive after the AppHost stopped");
        }
    }

    /// <summary>The AppHost's own messages (they name what failed), then the last lines of everything.</summary>
    private string Tail()
    {
        var nl = System.Environment.NewLine;
        var own = _log.Where(l => l.StartsWith("apphost ", StringComparison.Ordinal) && !l.Contains(" using the ", StringComparison.Ordinal));
        return $"AppHost messages:{nl}{string.Join(nl, own.TakeLast(40))}{nl}Last lines:{nl}{string.Join(nl, _log.TakeLast(40))}";
    }

    [GeneratedRegex(@"^JOBQUEUE PROCESS (?<name>[^#\s]+)(?:#(?<replica>\d+))? pid=(?<pid>\d+) url=(?<url>\S+)$")]
    private static partial Regex ProcessLine();

    [GeneratedRegex(@"^JOBQUEUE READY(?: gateway=(?<gateway>\S+))?")]
    private static partial Regex ReadyLine();
}
