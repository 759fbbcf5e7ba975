using System.Globalization;
using System.Net;
using JobQueue.AppHost.Resources;

namespace JobQueue.AppHost.Hosting;

/// <summary>One running copy of a project: its own port, process and log prefix.</summary>
internal sealed class ProjectInstance(ProjectResource project, int index, int port)
{
    public int Index { get; } = index;

    public int Port { get; } = port;

    public string Url { get; } = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary><c>worker#0</c> for a resource declared with replicas, else just the name.</summary>
    public string DisplayName { get; } = project.HasReplicas ? $"{project.Name}#{index}" : project.Name;

    public ChildProcess? Process { get; set; }

    public ResourceState State { get; set; } = ResourceState.Pending;
}

/// <summary>
/// A .NET project of the repository, run from its built DLL (<c>dotnet bin/&lt;cfg&gt;/net10.0/X.dll</c>, about 0.5 s to
/// healthy against several seconds for <c>dotnet run</c>) in its project folder, so that the content root, and with
/// it appsettings.json and wwwroot, is the same as under <c>dotnet run</c>.
/// </summary>
internal sealed class ProjectResource(string name, string projectName) : Resource(name)
{
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan HealthPollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private List<ProjectInstance> _instances = [];

    /// <summary>The project folder (and assembly) name, e.g. <c>Jobs.Api</c>.</summary>
    public string ProjectName { get; } = projectName;

    public int ReplicaCount { get; set; } = 1;

    /// <summary>Declared with <c>WithReplicas</c>: instances are named <c>name#i</c> even when there is one.</summary>
    public bool HasReplicas { get; set; }

    /// <summary>A fixed port for the public entry point (the gateway); others get free ports.</summary>
    public int? FixedPort { get; set; }

    /// <summary>How long a replica may take to stop after SIGTERM before it is killed.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Variables shared by every project (environment name, parent pid, default API key).</summary>
    public IReadOnlyDictionary<string, string?> SharedEnvironment { get; set; } = new Dictionary<string, string?>();

    /// <summary>Contributions to the environment, evaluated when the project starts (references, WithEnvironment).</summary>
    public List<Action<IDictionary<string, string?>>> EnvironmentCallbacks { get; } = [];

    public IReadOnlyList<ProjectInstance> Instances => _instances;

    public string DllPath => RepoLayout.ProjectDll(ProjectName);

    public override IEnumerable<ProcessRow> Rows =>
        _instances.Select(i => new ProcessRow(i.DisplayName, i.Process?.Pid, i.Url, i.State));

    /// <summary>Chooses every replica's port before anything starts, so references never wait for a start.</summary>
    public void AllocateEndpoints()
    {
        if (FixedPort is not null && ReplicaCount > 1)
        {
            throw new InvalidOperationException($"{Name}: a fixed port cannot be shared by {ReplicaCount} replicas.");
        }

        _instances = [.. Enumerable.Range(0, ReplicaCount).Select(i => new ProjectInstance(this, i, FixedPort ?? LoopbackPort.GetFree()))];
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(DllPath))
        {
            throw new FileNotFoundException($"{DllPath} does not exist: build the solution first (dotnet build JobQueue.sln -c {RepoLayout.Configuration}).");
        }

        if (FixedPort is { } port && !LoopbackPort.IsFree(port))
        {
            throw new InvalidOperationException($"Port {port} for {Name} is already in use (another AppHost?): pass --port N or set GATEWAY_PORT.");
        }

        await Task.WhenAll(_instances.Select(i => StartInstanceAsync(i, cancellationToken)));
    }

    public override async Task StopAsync(CancellationToken force) =>
        await Task.WhenAll(_instances.Select(i => StopInstanceAsync(i, force)));

    private async Task StartInstanceAsync(ProjectInstance instance, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(SharedEnvironment);
        foreach (var contribute in EnvironmentCallbacks)
        {
            contribute(environment);
        }

        environment["ASPNETCORE_URLS"] = instance.Url;

        // Inherited port settings would fight ASPNETCORE_URLS ("Overriding HTTP_PORTS").
        foreach (var inherited in new[] { "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS" })
        {
            environment[inherited] = null;
        }

        environment["OTEL_SERVICE_NAME"] = Name;
        environment["JOBQUEUE_REPLICA_INDEX"] = instance.Index.ToString(CultureInfo.InvariantCulture);

        instance.State = ResourceState.Starting;
        var process = await ChildProcess.StartAsync(new ChildProcessOptions(DotnetHost.Path, [DllPath])
        {
            WorkingDirectory = RepoLayout.ProjectDirectory(ProjectName),
            Environment = environment,
            ParentDeathSignal = Posix.SIGTERM,
            OnOutput = line => ConsoleLog.Line(instance.DisplayName, line),
        });
        instance.Process = process;
        _ = ReportUnexpectedExitAsync(instance, process);

        await WaitUntilHealthyAsync(instance, process, cancellationToken);
        instance.State = ResourceState.Running;
    }

    private static async Task WaitUntilHealthyAsync(ProjectInstance instance, ChildProcess process, CancellationToken cancellationToken)
    {
        var health = instance.Url + "/health";
        var deadline = DateTime.UtcNow + HealthTimeout;
        var last = "no answer";
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{instance.DisplayName} exited with code {await process.Exited} before it was healthy. Last lines:{Environment.NewLine}{Tail(process)}");
            }

            try
            {
                using var response = await Http.GetAsync(health, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer within 5 s";
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{instance.DisplayName} was not healthy at {health} within {HealthTimeout.TotalSeconds:0} s (last: {last}). Last lines:{Environment.NewLine}{Tail(process)}");
            }

            await Task.Delay(HealthPollInterval, cancellationToken);
        }
    }

    private async Task StopInstanceAsync(ProjectInstance instance, CancellationToken force)
    {
        if (instance.Process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            instance.State = ResourceState.Stopping;
            var code = await process.StopAsync(Posix.SIGTERM, ShutdownTimeout, force);
            if (code == 128 + Posix.SIGKILL)
            {
                ConsoleLog.Warn(force.IsCancellationRequested
                    ? $"{instance.DisplayName} was killed"
                    : $"{instance.DisplayName} did not stop within {ShutdownTimeout.TotalSeconds:0} s and was killed");
            }
        }

        instance.State = ResourceState.Stopped;
        process.Dispose();
    }

    private static async Task ReportUnexpectedExitAsync(ProjectInstance instance, ChildProcess process)
    {
        var code = await process.Exited;
        if (instance.State is ResourceState.Running)
        {
            instance.State = ResourceState.Exited;
            ConsoleLog.Error($"{instance.DisplayName} (pid {process.Pid}) exited unexpectedly with code {code}; not restarting it");
        }
    }

    private static string Tail(ChildProcess process) =>
        string.Join(Environment.NewLine, process.RecentOutput.TakeLast(30).Select(l => "    " + l));
}

internal static class ProjectResourceExtensions
{
    /// <summary>A project of the repository (its folder name), started from its built DLL.</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectName) =>
        builder.AddResource(new ProjectResource(name, projectName));

    /// <summary>Runs <paramref name="replicas"/> copies; each is named <c>name#i</c> and listed in service discovery.</summary>
    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas)
    {
        builder.Resource.ReplicaCount = replicas;
        builder.Resource.HasReplicas = true;
        return builder;
    }

    /// <summary>Listens on a fixed port instead of a free one: the public entry point.</summary>
    public static IResourceBuilder<ProjectResource> WithHttpEndpoint(this IResourceBuilder<ProjectResource> builder, int port)
    {
        builder.Resource.FixedPort = port;
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, string value)
    {
        builder.Resource.EnvironmentCallbacks.Add(env => env[name] = value);
        return builder;
    }

    /// <summary>How long to wait after SIGTERM before SIGKILL (default 10 s).</summary>
    public static IResourceBuilder<ProjectResource> WithShutdownTimeout(this IResourceBuilder<ProjectResource> builder, TimeSpan timeout)
    {
        builder.Resource.ShutdownTimeout = timeout;
        return builder;
    }

    /// <summary>Passes <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<IResourceWithConnectionString> source)
    {
        var resource = source.Resource;
        builder.Resource.EnvironmentCallbacks.Add(env => env[$"ConnectionStrings__{resource.ConnectionName}"] = resource.ConnectionString);
        return builder;
    }

    /// <summary>Passes <c>services__&lt;name&gt;__http__&lt;i&gt;</c> for every replica (service discovery, round robin).</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ProjectResource> source)
    {
        var project = source.Resource;
        builder.Resource.EnvironmentCallbacks.Add(env =>
        {
            foreach (var instance in project.Instances)
            {
                env[$"services__{project.Name}__http__{instance.Index.ToString(CultureInfo.InvariantCulture)}"] = instance.Url;
            }
        });
        return builder;
    }
}
