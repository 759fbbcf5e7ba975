using JobQueue.Core.Configuration;
using Worker.Service.Handlers;
using Worker.Service.Running;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        var settings = JobQueueSettings.From(key => builder.Configuration[key]);
        // The host must wait for the drain: running jobs get WORKER_SHUTDOWN_TIMEOUT, then the rest is handed back.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.WorkerShutdownTimeout + TimeSpan.FromSeconds(5));
        builder.Services.AddHttpClient(HttpRequestHandler.ClientName);
        builder.Services.AddJobHandler<NoopHandler>();
        builder.Services.AddJobHandler<EchoHandler>();
        builder.Services.AddJobHandler<SleepHandler>();
        builder.Services.AddJobHandler<FailHandler>();
        builder.Services.AddJobHandler<HttpRequestHandler>();
        builder.Services.AddSingleton<HandlerRegistry>();
        builder.Services.AddSingleton(new WorkerIdentity(builder.Configuration["JOBQUEUE_REPLICA_INDEX"] ?? "0"));
        builder.Services.AddHostedService<JobRunner>();
        return builder;
    }

    /// <summary>Registers an application handler; its <see cref="IJobHandler.Type"/> is the job type it runs.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services) where THandler : class, IJobHandler =>
        services.AddSingleton<IJobHandler, THandler>();
}
