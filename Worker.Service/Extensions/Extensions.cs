using System.Net;
using JobQueue.Core.Configuration;
using JobQueue.Core.Net;
using Worker.Service.Handlers;
using Worker.Service.Running;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    /// <summary>Largest response body <c>http.request</c> reads (it becomes the job's stored result).</summary>
    private const int MaxHttpResponseBytes = 4 * 1024 * 1024;

    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        var settings = JobQueueSettings.From(key => builder.Configuration[key]);
        var services = builder.Services;

        // The host must wait for the drain: running jobs get WORKER_SHUTDOWN_TIMEOUT, then the rest is handed back.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.WorkerShutdownTimeout + TimeSpan.FromSeconds(10));

        var allowPrivate = OutboundAddressPolicy.AllowPrivate(settings, builder.Environment.IsDevelopment());
        // EXTEXP0001: RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client
        // out of ConfigureHttpClientDefaults' resilience handler.
#pragma warning disable EXTEXP0001
        services.AddHttpClient(HttpRequestHandler.ClientName, c =>
            {
                // The job's own timeout (timeout_seconds) is the real limit; this only bounds a job without one.
                c.Timeout = TimeSpan.FromMinutes(5);
                c.MaxResponseContentBufferSize = MaxHttpResponseBytes;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                ConnectCallback = allowPrivate ? null : OutboundAddressPolicy.ConnectPublicOnlyAsync,
                UseProxy = allowPrivate, // a proxy would connect on our behalf, past the address check
                AutomaticDecompression = DecompressionMethods.All,
                MaxAutomaticRedirections = 5,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            })
            // Tenants' requests are not idempotent in general: the job's retry policy decides, not a hidden
            // resilience handler (ServiceDefaults adds one to every client, with a 30 s total timeout).
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddJobHandler<NoopHandler>();
        services.AddJobHandler<EchoHandler>();
        services.AddJobHandler<SleepHandler>();
        services.AddJobHandler<FailHandler>();
        services.AddJobHandler<HttpRequestHandler>();
        services.AddSingleton<HandlerRegistry>();

        services.AddSingleton(new WorkerIdentity(builder.Configuration["JOBQUEUE_REPLICA_INDEX"] is { Length: > 0 } replica ? replica : "0"));
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<OutcomeWriter>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<WorkerHeartbeat>();
        services.AddHostedService<WorkerLoop>();
        return builder;
    }

    /// <summary>Registers a job handler; its <see cref="IJobHandler.Type"/> is the job type it runs (a later registration of a type wins).</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services) where THandler : class, IJobHandler =>
        services.AddSingleton<IJobHandler, THandler>();
}
