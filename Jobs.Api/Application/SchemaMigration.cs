using JobQueue.Storage.Migrations;
using Npgsql;

namespace Jobs.Api.Application;

/// <summary>Applies pending migrations at start, waiting for Postgres if it is not up yet.</summary>
internal sealed partial class SchemaMigration(NpgsqlDataSource dataSource, ILogger<SchemaMigration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var applied = await Migrator.MigrateAsync(dataSource, cancellationToken);
                if (applied.Count > 0)
                {
                    LogApplied(logger, string.Join(", ", applied));
                }

                return;
            }
            catch (NpgsqlException ex) when (attempt < 60 && !cancellationToken.IsCancellationRequested)
            {
                LogWaiting(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migrations {Versions}")]
    private static partial void LogApplied(ILogger logger, string versions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Postgres not ready for migrations: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
