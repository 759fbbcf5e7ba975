using System.Collections.Concurrent;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using JobQueue.Testing.Resources;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StackExchange.Redis;

namespace JobQueue.Testing;

/// <summary>How to start a <see cref="SystemUnderTest"/>.</summary>
public sealed record SystemUnderTestOptions
{
    /// <summary>Worker replicas (the AppHost's <c>--workers</c>).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Scheduler replicas (<c>--schedulers</c>); one leads.</summary>
    public int Schedulers { get; init; } = 2;

    /// <summary>Jobs.Api replicas (<c>--jobs-api</c>), each reached by the gateway directly.</summary>
    public int JobsApiReplicas { get; init; } = 1;

    /// <summary>Webhook dispatcher replicas (<c>--webhook-dispatchers</c>).</summary>
    public int WebhookDispatchers { get; init; } = 1;

    /// <summary>Passed as API_KEY and sent by <see cref="SystemUnderTest.Client"/> in <c>X-API-Key</c>.</summary>
    public string ApiKey { get; init; } = "test-api-key";

    /// <summary>The AppHost's environment, and so every service's.</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>
    /// Extra variables for every service (RETRY_BASE_DELAY=100ms, …). Rate limits are off (<c>RATE_LIMIT_RPS=0</c>)
    /// unless set here.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Durable Postgres (fsync on), as a benchmark needs; tests run without fsync.</summary>
    public bool Durable { get; init; }

    /// <summary>How long to wait for a healthy gateway.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Copy every resource's log lines to the NUnit progress stream as they come (or set JOBQUEUE_TEST_ECHO=1).</summary>
    public bool EchoLog { get; init; } = System.Environment.GetEnvironmentVariable("JOBQUEUE_TEST_ECHO") == "1";
}

/// <summary>One process of the system: a resource's replica, as the AppHost's resource state reports it.</summary>
/// <param name="Name">The replica's name in the Aspire model: <c>jobs-api-abcdefgh</c>.</param>
/// <param name="Resource">The resource: <c>worker</c>.</param>
/// <param name="Pid">The service's own process (SIGKILL it to test crash recovery).</param>
public sealed record SystemProcess(string Name, string Resource, int Pid)
{
    /// <summary>Whether the process still runs.</summary>
    public bool IsAlive => Posix.IsAlive(Pid);
}

/// <summary>
/// The whole system started from the AppHost with Aspire.Hosting.Testing, in a throw-away data folder (Postgres
/// without fsync unless <see cref="SystemUnderTestOptions.Durable"/>), on ports DCP chooses. Ready when the gateway
/// is healthy, which it is only once every service behind it is. Faults go through the model: Postgres stopped and
/// started with the resource commands, processes found from the resources' state.
/// </summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly SystemUnderTestOptions _options;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentDictionary<string, ResourceEvent> _instances = new();
    private readonly List<HttpClient> _clients = [];
    private readonly CancellationTokenSource _stopping = new();
    private DistributedApplication? _app;
    private bool _disposed;

    private SystemUnderTest(SystemUnderTestOptions options)
    {
        _options = options;
        _directory = TestPaths.NewTempDirectory("jobqueue-e2e");
    }

    /// <summary>The gateway, e.g. <c>http://localhost:41234</c>.</summary>
    public string GatewayUrl { get; private set; } = string.Empty;

    public string ApiKey => _options.ApiKey;

    /// <summary>A client of the gateway sending <c>X-API-Key: ApiKey</c>; disposed with the system.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The <c>jobqueue</c> database the services use (superuser).</summary>
    public string PostgresConnectionString { get; private set; } = string.Empty;

    /// <summary>The Redis the services use; add <c>,allowAdmin=true</c> for FLUSHALL, or call <see cref="FlushRedisAsync"/>.</summary>
    public string RedisConnectionString { get; private set; } = string.Empty;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The system has not started.");

    /// <summary>Every service process running now, from the resources' state.</summary>
    public IReadOnlyList<SystemProcess> Processes => [.. ServiceProcesses()];

    /// <summary>Every running resource replica (servers and services) → the pid DCP started for it, the root of its process tree.</summary>
    public Dictionary<string, int> ResourcePids() =>
        _instances.Where(i => i.Value.Snapshot.State?.Text == KnownResourceStates.Running)
            .Select(i => (i.Key, Pid: LauncherPid(i.Value)))
            .Where(i => i.Pid is not null)
            .ToDictionary(i => i.Key, i => i.Pid!.Value);

    /// <summary>The worker replicas.</summary>
    public IReadOnlyList<SystemProcess> Workers => [.. Processes.Where(p => p.Resource == "worker")];

    /// <summary>Every resource's log lines so far, each as <c>replica-name: line</c>.</summary>
    public IReadOnlyList<string> LogLines => [.. _log];

    public string Log => string.Join(System.Environment.NewLine, _log);

    /// <summary>Starts the AppHost and waits for a healthy gateway.</summary>
    /// <exception cref="InvalidOperationException">It was not healthy in time; the message holds the resources' states and last lines.</exception>
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

    /// <summary>SIGKILLs <paramref name="process"/> (a crash: no graceful shutdown).</summary>
    public static void Kill(SystemProcess process) => Posix.Signal(process.Pid, Posix.SIGKILL);

    /// <summary>SIGTERMs <paramref name="process"/> (a graceful stop, as Kubernetes or DCP sends it).</summary>
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

    /// <summary>Stops Postgres with the resource's stop command (DCP's SIGTERM, a fast shutdown), as an outage the services must ride out.</summary>
    public Task StopPostgresAsync() => StopResourceAsync("postgres");

    /// <summary>Starts Postgres again with the resource's start command: the same port, the same data.</summary>
    public Task StartPostgresAsync(CancellationToken cancellationToken = default) => StartResourceAsync("postgres", cancellationToken);

    public Task StopRedisAsync() => StopResourceAsync("redis");

    /// <summary>Starts Redis again on the same port, empty (it keeps nothing).</summary>
    public Task StartRedisAsync(CancellationToken cancellationToken = default) => StartResourceAsync("redis", cancellationToken);

    /// <summary>Empties Redis, as if it had been lost: the system must rebuild its index from Postgres.</summary>
    public async Task FlushRedisAsync(CancellationToken cancellationToken = default)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString + ",allowAdmin=true");
        foreach (var server in redis.GetServers())
        {
            await server.FlushAllDatabasesAsync();
        }
    }

    /// <summary>Waits until some resource's log holds a line containing <paramref name="text"/>.</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Polling.WaitUntil(() => _log.Any(l => l.Contains(text, StringComparison.Ordinal)), timeout, $"the log contains \"{text}\"", cancellationToken);

    /// <summary>Stops the AppHost (every resource), then fails (NUnit assertion) if any service process is still alive, after killing it.</summary>
    public async ValueTask DisposeAsync() => await ShutDownAsync(assertNoLeftovers: true);

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        string[] args =
        [
            "--workers", _options.Workers.ToString(CultureInfo.InvariantCulture),
            "--schedulers", _options.Schedulers.ToString(CultureInfo.InvariantCulture),
            "--jobs-api", _options.JobsApiReplicas.ToString(CultureInfo.InvariantCulture),
            "--webhook-dispatchers", _options.WebhookDispatchers.ToString(CultureInfo.InvariantCulture),
            "--port", FreePort.Get().ToString(CultureInfo.InvariantCulture),
            "--data-dir", _directory,
            "--durable", _options.Durable ? "true" : "false",
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.JobQueue_AppHost>(
            args,
            (_, host) => host.EnvironmentName = _options.EnvironmentName,
            cancellationToken);

        var environment = new Dictionary<string, string>
        {
            ["API_KEY"] = _options.ApiKey,
            // Tests hammer the API from one address with one key: rate limits off unless a test turns them on.
            ["RATE_LIMIT_RPS"] = "0",
        };
        foreach (var (key, value) in _options.Environment)
        {
            environment[key] = value;
        }

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                foreach (var (key, value) in environment)
                {
                    context.EnvironmentVariables[key] = value;
                }
            });
        }

        _app = await builder.BuildAsync(cancellationToken);
        _ = CollectLogsAsync(_app, _stopping.Token);
        using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ready.CancelAfter(_options.ReadyTimeout);
        try
        {
            await _app.StartAsync(ready.Token);
            await _app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", ready.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"The gateway was not healthy within {_options.ReadyTimeout.TotalSeconds:0} s.{System.Environment.NewLine}{Describe()}");
        }

        GatewayUrl = _app.GetEndpoint("gateway", "http").ToString().TrimEnd('/');
        PostgresConnectionString = await _app.GetConnectionStringAsync("postgres", cancellationToken) ?? throw new InvalidOperationException("postgres has no connection string.");
        RedisConnectionString = await _app.GetConnectionStringAsync("redis", cancellationToken) ?? throw new InvalidOperationException("redis has no connection string.");
        Client = CreateClient(_options.ApiKey);
    }

    private async Task StopResourceAsync(string resource)
    {
        await ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, _stopping.Token);
    }

    private async Task StartResourceAsync(string resource, CancellationToken cancellationToken)
    {
        await ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
    }

    private async Task ExecuteCommandAsync(string resource, string command)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command, _stopping.Token);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
        }
    }

    /// <summary>Each service replica with its own pid: DCP starts projects through <c>dotnet run</c>, whose child is the service.</summary>
    private IEnumerable<SystemProcess> ServiceProcesses()
    {
        foreach (var (instance, state) in _instances)
        {
            if (state.Resource is ProjectResource project && state.Snapshot.State?.Text == KnownResourceStates.Running && LauncherPid(state) is { } launcher)
            {
                yield return new SystemProcess(instance, project.Name, Posix.ChildOf(launcher) ?? launcher);
            }
        }
    }

    private static int? LauncherPid(ResourceEvent state) =>
        state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
        && int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? pid
            : null;

    private async Task CollectLogsAsync(DistributedApplication app, CancellationToken ct)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var watched = new HashSet<string>();
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(ct))
            {
                _instances[update.ResourceId] = update;
                if (watched.Add(update.ResourceId))
                {
                    _ = WatchAsync(update.ResourceId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        async Task WatchAsync(string instance)
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(instance).WithCancellation(ct))
                {
                    foreach (var line in batch)
                    {
                        var text = $"{instance}: {line.Content}";
                        _log.Enqueue(text);
                        if (_options.EchoLog)
                        {
                            TestContext.Progress.WriteLine(text);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
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

        List<SystemProcess> started = _app is null ? [] : [.. ServiceProcesses()];
        if (_app is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await _stopping.CancelAsync();
        var leftovers = started.Where(p => p.IsAlive).ToList();
        leftovers.ForEach(Kill);
        TestPaths.DeleteQuietly(_directory);
        _stopping.Dispose();
        if (assertNoLeftovers)
        {
            Assert.That(leftovers.Select(p => $"{p.Name} (pid {p.Pid})"), Is.Empty, "service processes still alive after the AppHost stopped");
        }
    }

    /// <summary>Every resource's state, then the last log lines.</summary>
    private string Describe()
    {
        var nl = System.Environment.NewLine;
        var states = _instances.OrderBy(i => i.Key, StringComparer.Ordinal)
            .Select(i => $"{i.Key}: {i.Value.Snapshot.State?.Text} {i.Value.Snapshot.HealthStatus} exit={i.Value.Snapshot.ExitCode}");
        return $"Resources:{nl}{string.Join(nl, states)}{nl}Last lines:{nl}{string.Join(nl, _log.TakeLast(60))}";
    }
}
