using JobQueue.Storage.Migrations;
using Npgsql;

namespace Jobs.Api.Application;

/// <summary>
/// <c>Jobs.Api migrate</c>: applies pending migrations and exits, waiting for Postgres if it is not up yet. The
/// AppHost runs it once before any service starts (a Kubernetes Job per release does the same), so the schema is
/// applied in one place; the services themselves never migrate.
/// </summary>
internal static partial class SchemaMigration
{
    public const string Command = "migrate";

    /// <summary>The process exit code: 0 once the schema is current, 1 when Postgres stayed unreachable for a minute.</summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaMigration));
        var stopping = app.Lifetime.ApplicationStopping;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var applied = await Migrator.MigrateAsync(dataSource, stopping);
                LogApplied(logger, applied.Count == 0 ? "none (the schema is current)" : string.Join(", ", applied));
                return 0;
            }
            catch (NpgsqlException ex) when (!stopping.IsCancellationRequested)
            {
                if (attempt == 60)
                {
                    LogGaveUp(logger, ex.Message);
                    return 1;
                }

                LogWaiting(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migrations: {Versions}")]
    private static partial void LogApplied(ILogger logger, string versions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres not ready for migrations: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Postgres stayed unreachable for a minute; no migration applied: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string reason);
}
