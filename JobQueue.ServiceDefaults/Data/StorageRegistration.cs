using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace JobQueue.ServiceDefaults.Data;

/// <summary>The storage seams every service may use, as singletons over the shared data sources.</summary>
public static class StorageRegistration
{
    public static IServiceCollection AddJobQueueStorage(this IServiceCollection services)
    {
        services.AddSingleton<PostgresJobStore>();
        services.AddSingleton<PostgresWorkerStore>();
        services.AddSingleton<PostgresMetricsStore>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<UsageMeter>();
        services.AddSingleton<RedisBroker>();
        services.AddSingleton<RedisRateLimiter>();
        services.AddSingleton<SystemMetricsStore>();
        return services;
    }
}
