using JobQueue.AppHost.Hosting;

namespace JobQueue.AppHost;

/// <summary>JobQueue's own conventions on top of the hosting model.</summary>
internal static class Extensions
{
    /// <summary>A resource's folder under the data folder (<c>--data-dir</c>, default <c>&lt;repo&gt;/.data</c>).</summary>
    public static string DataDirectory(this DistributedApplicationBuilder builder, string resource) =>
        Path.Combine(builder.Options.DataDirectory, resource);

    /// <summary>
    /// A worker finishes its running jobs for up to WORKER_SHUTDOWN_TIMEOUT (default 30 s) when stopped; it gets five
    /// more seconds to report them before it is killed.
    /// </summary>
    public static TimeSpan WorkerStopGrace(this DistributedApplicationBuilder builder) =>
        builder.Options.WorkerShutdownTimeout + TimeSpan.FromSeconds(5);

    /// <summary>
    /// In Development webhooks may be delivered to a receiver on this machine (loopback only, never the private
    /// network), unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES says otherwise; elsewhere the dispatcher's default holds
    /// (public addresses only).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentWebhookAddresses(this IResourceBuilder<ProjectResource> project, DistributedApplicationBuilder builder) =>
        builder.Options.EnvironmentName == "Development" && string.IsNullOrEmpty(builder.Environment("WEBHOOK_ALLOW_PRIVATE_ADDRESSES"))
            ? project.WithEnvironment("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "loopback")
            : project;
}
