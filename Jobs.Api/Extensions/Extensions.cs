using Jobs.Api.Apis;
using Jobs.Api.Application;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static IHostApplicationBuilder AddJobsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GroupCommit>();
        builder.Services.AddSingleton<JobEnqueuer>();
        // Jobs.Api owns the schema: it applies the migrations before it answers (Migrator takes an advisory lock,
        // so the other services that call it at start wait instead of racing).
        builder.Services.AddHostedService<SchemaMigration>();
        return builder;
    }

    public static WebApplication MapJobsApiV1(this WebApplication app)
    {
        app.MapJobsApi();
        app.MapDlqApi();
        app.MapStatsApi();
        return app;
    }
}
