using JobQueue.Client;
using JobQueue.Client.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds handlers to the hosted worker: <c>.AddHandler&lt;SendEmailHandler&gt;("email.send")</c>.</summary>
public sealed class JobQueueWorkerBuilder
{
    internal JobQueueWorkerBuilder(IServiceCollection services, JobQueueHandlerRegistry registry)
    {
        Services = services;
        Registry = registry;
    }

    public IServiceCollection Services { get; }

    internal JobQueueHandlerRegistry Registry { get; }

    /// <summary>Runs the jobs of <paramref name="jobType"/> with <typeparamref name="THandler"/> (scoped: one instance per job).</summary>
    public JobQueueWorkerBuilder AddHandler<THandler>(string jobType)
        where THandler : class, IJobQueueHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(jobType);
        if (!Registry.Handlers.TryAdd(jobType, typeof(THandler)))
        {
            throw new InvalidOperationException($"job type '{jobType}' already has a handler ({Registry.Handlers[jobType].Name})");
        }

        Services.TryAddScoped<THandler>();
        return this;
    }
}

/// <summary>Job type → handler type, for the worker.</summary>
internal sealed class JobQueueHandlerRegistry
{
    public Dictionary<string, Type> Handlers { get; } = new(StringComparer.Ordinal);
}

/// <summary>Registers the hosted worker that runs job types of this application on the lease protocol.</summary>
public static class JobQueueWorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a hosted worker (a <see cref="BackgroundService"/>) that leases jobs of its handlers' types from the API
    /// (through <see cref="JobQueueClient"/>; added with its defaults unless registered before), runs them, heartbeats
    /// and reports their outcome. Options from the configuration section <c>JobQueue:Worker</c>, then <paramref name="configure"/>.
    /// </summary>
    public static JobQueueWorkerBuilder AddJobQueueWorker(this IServiceCollection services, Action<JobQueueWorkerOptions>? configure = null)
    {
        if (!services.Any(d => d.ServiceType == typeof(JobQueueClient)))
        {
            services.AddJobQueueClient();
        }

        var options = services.AddOptions<JobQueueWorkerOptions>()
            .Configure<IServiceProvider>((o, provider) => provider.GetService<IConfiguration>()?.GetSection(JobQueueWorkerOptions.SectionName).Bind(o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        var registry = services.FirstOrDefault(d => d.ServiceType == typeof(JobQueueHandlerRegistry))?.ImplementationInstance as JobQueueHandlerRegistry;
        if (registry is null)
        {
            registry = new JobQueueHandlerRegistry();
            services.AddSingleton(registry);
            services.AddHostedService<JobQueueWorker>();
        }

        return new JobQueueWorkerBuilder(services, registry);
    }
}
