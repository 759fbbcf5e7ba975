using JobQueue.AppHost.Resources;
using Npgsql;

namespace JobQueue.AppHost.Hosting;

/// <summary>The Postgres server: our own <see cref="PostgresServer"/>, or an external one named in the environment.</summary>
internal sealed class PostgresServerResource(string name, string? externalConnectionString) : Resource(name)
{
    private PostgresServer? _server;

    /// <summary>Set when ConnectionStrings__postgres or DATABASE_DSN names a server: we start none.</summary>
    public string? ExternalConnectionString { get; } = externalConnectionString;

    public string DataDirectory { get; set; } = string.Empty;

    /// <summary>Chosen at build time so that every port is known before anything starts.</summary>
    public int Port { get; set; }

    public PostgresServer Server => _server ?? throw new InvalidOperationException($"{Name} has not started.");

    public override IEnumerable<ProcessRow> Rows => ExternalConnectionString is { } external
        ? [new ProcessRow(Name, null, Describe(external), ResourceState.External)]
        : [new ProcessRow(Name, _server?.Pid, $"postgres://127.0.0.1:{Port}", _server?.IsRunning == true ? ResourceState.Running : ResourceState.Stopped)];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (ExternalConnectionString is { } external)
        {
            ConsoleLog.Info($"using the Postgres server at {Describe(external)}");
            await PostgresServer.WaitUntilReachableAsync(external, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
            return;
        }

        _server = new PostgresServer(new PostgresServerOptions
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

    private static string Describe(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgres://{csb.Host}:{csb.Port}/{csb.Database}";
    }

    private async Task ReportUnexpectedExitAsync(PostgresServer server)
    {
        var code = await server.Exited;
        if (_server == server)
        {
            ConsoleLog.Error($"{Name} exited unexpectedly with code {code}");
        }
    }
}

/// <summary>
/// The application database on the server: created if missing. Services receive it as
/// <c>ConnectionStrings__postgres</c> (the name the services read), whatever the database is called.
/// </summary>
internal sealed class PostgresDatabaseResource(PostgresServerResource server, string databaseName)
    : Resource($"{server.Name}/{databaseName}"), IResourceWithConnectionString
{
    private string? _connectionString;

    public PostgresServerResource Server { get; } = server;

    public string DatabaseName { get; } = databaseName;

    public string ConnectionName => Server.Name;

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException($"{Name} is not ready yet.");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Server.ExternalConnectionString is { } external)
        {
            _connectionString = external;
            return;
        }

        await Server.Server.CreateDatabaseAsync(DatabaseName, cancellationToken);
        _connectionString = Server.Server.GetConnectionString(DatabaseName);
    }

    public override Task StopAsync(CancellationToken force) => Task.CompletedTask;
}

internal static class PostgresResourceExtensions
{
    /// <summary>
    /// A Postgres server: ours, or the one ConnectionStrings__postgres (or DATABASE_DSN, a libpq URL or keywords)
    /// names, in which case the connection string is passed on untouched and no server is started.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
    {
        var external = builder.Environment($"ConnectionStrings__{name}") is { Length: > 0 } cs ? cs
            : builder.Environment("DATABASE_DSN") is { Length: > 0 } dsn ? ConnectionStringConversions.NpgsqlFromLibpq(dsn)
            : null;
        var resource = new PostgresServerResource(name, external)
        {
            DataDirectory = Path.Combine(builder.Options.DataDirectory, name),
            Port = external is null ? LoopbackPort.GetFree() : 0,
        };
        return builder.AddResource(resource);
    }

    /// <summary>Where the cluster lives across runs (a <c>&lt;dir&gt;.password</c> file sits beside it).</summary>
    public static IResourceBuilder<PostgresServerResource> WithDataDirectory(this IResourceBuilder<PostgresServerResource> builder, string directory)
    {
        builder.Resource.DataDirectory = Path.GetFullPath(directory);
        return builder;
    }

    /// <summary>A database on the server, created when missing; it waits for the server.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> builder, string databaseName)
    {
        var database = new PostgresDatabaseResource(builder.Resource, databaseName);
        database.WaitsFor.Add(builder.Resource);
        return builder.ApplicationBuilder.AddResource(database);
    }
}
