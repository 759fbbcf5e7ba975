using JobQueue.AppHost.Resources;

namespace JobQueue.AppHost.Hosting;

/// <summary>The Redis server: our own <see cref="RedisServer"/>, or an external one named in the environment.</summary>
internal sealed class RedisResource(string name, string? externalConnectionString) : Resource(name), IResourceWithConnectionString
{
    private RedisServer? _server;

    public string? ExternalConnectionString { get; } = externalConnectionString;

    public string DataDirectory { get; set; } = string.Empty;

    public int Port { get; set; }

    public string ConnectionName => Name;

    public string ConnectionString => ExternalConnectionString ?? $"127.0.0.1:{Port}";

    public override IEnumerable<ProcessRow> Rows => ExternalConnectionString is { } external
        ? [new ProcessRow(Name, null, $"redis://{external.Split(',')[0]}", ResourceState.External)]
        : [new ProcessRow(Name, _server?.Pid, $"redis://127.0.0.1:{Port}", _server?.IsRunning == true ? ResourceState.Running : ResourceState.Stopped)];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (ExternalConnectionString is { } external)
        {
            ConsoleLog.Info($"using the Redis server at {external.Split(',')[0]}");
            await RedisServer.WaitUntilReachableAsync(external, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            return;
        }

        _server = new RedisServer(new RedisServerOptions
        {
            DataDirectory = DataDirectory,
            Port = Port,
            Log = line => ConsoleLog.Line(Name, line),
        });
        await _server.StartAsync(cancellationToken);
        _ = ReportUnexpectedExitAsync(_server);
    }

    public override async Task StopAsync(CancellationToken force)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync(force);
        }
    }

    private async Task ReportUnexpectedExitAsync(RedisServer server)
    {
        var code = await server.Exited;
        if (_server == server)
        {
            ConsoleLog.Error($"{Name} exited unexpectedly with code {code}");
        }
    }
}

internal static class RedisResourceExtensions
{
    /// <summary>A Redis server: ours, or the one ConnectionStrings__redis (or REDIS_ADDR) names.</summary>
    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
    {
        var external = builder.Environment($"ConnectionStrings__{name}") is { Length: > 0 } cs ? cs
            : builder.Environment("REDIS_ADDR") is { Length: > 0 } addr ? ConnectionStringConversions.RedisFromAddress(addr, builder.Environment("REDIS_PASSWORD"))
            : null;
        var resource = new RedisResource(name, external)
        {
            DataDirectory = Path.Combine(builder.Options.DataDirectory, name),
            Port = external is null ? LoopbackPort.GetFree() : 0,
        };
        return builder.AddResource(resource);
    }

    /// <summary>redis-server's working folder (nothing is persisted: Redis is rebuilt from Postgres).</summary>
    public static IResourceBuilder<RedisResource> WithDataDirectory(this IResourceBuilder<RedisResource> builder, string directory)
    {
        builder.Resource.DataDirectory = Path.GetFullPath(directory);
        return builder;
    }
}
