using JobQueue.Storage.Events;
using JobQueue.Storage.Postgres;
using Scheduler.Service.Apis;
using Scheduler.Service.Maintenance;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    /// <summary>The cron API, the leader election and the cluster-wide roles that run on the leader only.</summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(SchedulerOptions.From(key => builder.Configuration[key]));
        builder.Services.AddSingleton<LeaderElection>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        builder.Services.AddHostedService<IndexRebuilder>();
        builder.Services.AddHostedService<DelayedJobPromoter>();
        builder.Services.AddHostedService<ClaimRescuer>();
        builder.Services.AddHostedService<LeaseRescuer>();
        builder.Services.AddHostedService<StaleIndexSweeper>();
        builder.Services.AddHostedService<ExpiredJobCleaner>();
        builder.Services.AddSingleton<PostgresCronStore>();
        builder.Services.AddHostedService<CronFirer>();
        // Each relayed batch also feeds the system-wide counters and histograms the gateway's /metrics shows.
        builder.Services.AddSingleton(sp => new EventRelay(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(),
            sp.GetRequiredService<JobQueue.Storage.Redis.RedisKeys>(), sp.GetRequiredService<TimeProvider>())
        {
            OnRelayed = sp.GetRequiredService<JobQueue.Storage.Redis.SystemMetricsStore>().RecordAsync,
        });
        builder.Services.AddHostedService<EventRelayRole>();
        return builder;
    }

    /// <summary>The scheduler's public routes: <c>/api/v1/cron</c>.</summary>
    public static WebApplication MapSchedulerApiV1(this WebApplication app)
    {
        app.MapCronApi();
        return app;
    }
}
