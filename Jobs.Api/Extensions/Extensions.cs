using Jobs.Api.Apis;
using Jobs.Api.Application;
using Jobs.Api.Live;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static IHostApplicationBuilder AddJobsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GroupCommit>();
        builder.Services.AddSingleton<JobEnqueuer>();
        // Remote workers: the HTTP lease protocol, and the wake-up of its long-polls.
        builder.Services.AddSingleton<Jobs.Api.Workers.RemoteWorkers>();
        builder.Services.AddSingleton<Jobs.Api.Workers.LeaseWake>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Jobs.Api.Workers.LeaseWake>());
        // The /ws live stream: one Redis subscription per process, fanned out to its clients.
        builder.Services.AddSingleton(LiveOptions.From(builder.Configuration));
        builder.Services.AddSingleton<LiveHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveHub>());
        builder.Services.AddHostedService<LiveStatsTicker>();
        builder.Services.AddHostedService<LiveClientsReporter>();
        return builder;
    }

    public static WebApplication MapJobsApiV1(this WebApplication app)
    {
        app.MapJobsApi();
        app.MapDlqApi();
        app.MapStatsApi();
        app.MapRemoteWorkersApi();
        return app;
    }

    /// <summary><c>GET /ws</c> (and the WebSocket middleware it needs): outside <c>/api/v1</c>, as in the original.</summary>
    public static WebApplication MapJobsLiveStream(this WebApplication app) => app.MapLiveApi();
}
