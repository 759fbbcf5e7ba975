namespace JobQueue.AppHost.Hosting;

/// <summary>Where a resource is in its life; shown in the process table.</summary>
internal enum ResourceState
{
    Pending,
    Starting,
    Running,
    External,
    Exited,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>One row of the process table.</summary>
internal sealed record ProcessRow(string Name, int? Pid, string Url, ResourceState State);

/// <summary>
/// Something the AppHost starts, waits for and stops: a server, a database on it, or a project with replicas.
/// </summary>
internal abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>Resources that must be healthy before this one starts, and that stop only after it has stopped.</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Starts the resource and returns once it is healthy.</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops the resource gracefully; <paramref name="force"/> cuts every grace period short.</summary>
    public abstract Task StopAsync(CancellationToken force);

    /// <summary>Rows for the process table (none for a resource without a process of its own).</summary>
    public virtual IEnumerable<ProcessRow> Rows => [];
}

/// <summary>A resource that services reach through <c>ConnectionStrings__&lt;ConnectionName&gt;</c>.</summary>
internal interface IResourceWithConnectionString
{
    string ConnectionName { get; }

    /// <summary>Known once the resource has started.</summary>
    string ConnectionString { get; }
}

/// <summary>A handle on a resource being declared, for chaining <c>.WithReference(x).WaitFor(x)</c>.</summary>
internal interface IResourceBuilder<out T>
{
    T Resource { get; }

    DistributedApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(T resource, DistributedApplicationBuilder applicationBuilder) : IResourceBuilder<T>
{
    public T Resource { get; } = resource;

    public DistributedApplicationBuilder ApplicationBuilder { get; } = applicationBuilder;
}

internal static class ResourceBuilderExtensions
{
    /// <summary>Starts <paramref name="builder"/>'s resource only once <paramref name="dependency"/> is healthy, and stops it first.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency)
        where T : Resource
    {
        if (!builder.Resource.WaitsFor.Contains(dependency.Resource))
        {
            builder.Resource.WaitsFor.Add(dependency.Resource);
        }

        return builder;
    }
}
