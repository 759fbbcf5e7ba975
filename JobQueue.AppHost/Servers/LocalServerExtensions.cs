using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace JobQueue.AppHost.Servers;

/// <summary>Postgres and Redis as executables of this machine, each healthy only once it answers a real client.</summary>
internal static class LocalServerExtensions
{
    /// <summary>
    /// Postgres on a loopback port DCP chooses, its cluster in <paramref name="dataDirectory"/> (made on first run,
    /// kept across runs). <paramref name="durable"/> false is for throw-away test clusters: no fsync.
    /// </summary>
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name, string dataDirectory, bool durable)
    {
        var cluster = new PostgresCluster(dataDirectory);
        var bin = PostgresCluster.BinDirectory();
        var postgres = new LocalPostgresResource(name, Path.Combine(AppContext.BaseDirectory, "Servers", "postgres-fast-shutdown.sh"), Path.GetDirectoryName(cluster.DataDirectory)!, cluster.Password());

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres, (_, ct) =>
            cluster.EnsureCreatedAsync(postgres.Password, LocalPostgresResource.DatabaseName, durable, ct));

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(postgres, async (_, ct) =>
            connectionString = await ((IResourceWithConnectionString)postgres).GetConnectionStringAsync(ct));
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(_ => connectionString ?? throw new InvalidOperationException($"{name}: no connection string yet."), name: healthCheck);

        return builder.AddResource(postgres)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                List<string> postmaster =
                [
                    "-D", cluster.DataDirectory,
                    "-c", "listen_addresses=127.0.0.1",
                    "-c", "unix_socket_directories=",
                    // Seven services with their own pools, replicas and the tests share one server: 100 runs out.
                    "-c", "max_connections=300",
                ];
                if (!durable)
                {
                    postmaster.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
                }

                foreach (var arg in PostgresCluster.AsServerUser(Path.Combine(bin, "postgres"), [.. postmaster]))
                {
                    context.Args.Add(arg);
                }

                context.Args.Add("-p");
                context.Args.Add(postgres.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheck);
    }

    /// <summary>redis-server on a loopback port DCP chooses; it keeps nothing (Redis is an index rebuilt from Postgres).</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        var executable = new[] { "/usr/bin/redis-server" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, "redis-server")))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server was not found in /usr/bin or PATH: apt-get install -y redis-server, or set ConnectionStrings__redis to a server you run.");
        Directory.CreateDirectory(dataDirectory);
        var redis = new LocalRedisResource(name, executable, dataDirectory);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, ct) =>
            connectionString = await ((IResourceWithConnectionString)redis).GetConnectionStringAsync(ct));
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException($"{name}: no connection string yet."), name: healthCheck);

        return builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(redis.Endpoint.Property(EndpointProperty.TargetPort));
                foreach (var arg in new[] { "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", dataDirectory, "--daemonize", "no" })
                {
                    context.Args.Add(arg);
                }
            })
            .WithHealthCheck(healthCheck);
    }
}
