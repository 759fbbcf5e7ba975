namespace JobQueue.AppHost.Servers;

/// <summary>
/// Postgres from the machine's own packages, run by DCP as an executable (no container engine here). Services get
/// <c>ConnectionStrings__postgres</c> through <c>WithReference</c>, as from Aspire's container resource.
/// </summary>
internal sealed class LocalPostgresResource(string name, string command, string workingDirectory, string password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    /// <summary>The application database, created with the cluster.</summary>
    public const string DatabaseName = "jobqueue";

    public const string SuperUser = "postgres";

    public EndpointReference Endpoint => field ??= new(this, EndpointName);

    /// <summary>The superuser's password, made with the cluster and kept beside it.</summary>
    internal string Password { get; } = password;

    // 127.0.0.1, not "localhost": the server listens on IPv4 loopback only, and a client that resolves localhost to
    // ::1 first pays a refused connection per pooled connection it opens.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.IPV4Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={Password};Database={DatabaseName}");
}
