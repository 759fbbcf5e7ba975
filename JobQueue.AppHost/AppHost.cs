using JobQueue.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
var settings = AppHostSettings.Read(builder.Configuration, repoRoot: Path.GetDirectoryName(builder.AppHostDirectory)!);

// Postgres is the truth (kept across runs); Redis the index rebuilt from it.
var postgres = builder.AddJobQueuePostgres("postgres", settings);
var redis = builder.AddJobQueueRedis("redis", settings);

// The schema, applied in one place before any service starts: Jobs.Api's `migrate` command, which configures its
// storage (Redis too, never contacted) and exits.
var migrations = builder.AddProject<Projects.Jobs_Api>("migrations", project => project.ExcludeLaunchProfile = true)
    .WithArgs("migrate")
    .WithJobQueueEnvironment(builder, settings)
    .WithReference(postgres).WaitFor(postgres)
    .WithReference(redis);

// Jobs.Api carries every request: one resource per replica, each on its own unproxied port, and the gateway
// balances over them itself. Through DCP's proxy the batch enqueue rate halved (17,275 -> 8,959 jobs/s) and the
// proxy used 1 s of CPU per 6.6 s of single enqueues (tests/JobQueue.Benchmarks).
var jobsApi = Enumerable.Range(1, settings.JobsApiReplicas).Select(replica =>
    builder.AddProject<Projects.Jobs_Api>(replica == 1 ? "jobs-api" : $"jobs-api-{replica}")
        .WithUnproxiedHttpEndpoint()
        .WithJobQueueEnvironment(builder, settings)
        .WithReference(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations)
        .WithHttpHealthCheck("/health")).ToList();

// Two schedulers, one leader: the other takes over within a lease when the leader goes.
var scheduler = builder.AddProject<Projects.Scheduler_Service>("scheduler")
    .WithReplicas(settings.Schedulers)
    .WithJobQueueEnvironment(builder, settings)
    .WithReference(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Worker_Service>("worker")
    .WithReplicas(settings.Workers)
    .WithJobQueueEnvironment(builder, settings)
    .WithReference(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");

var webhooks = builder.AddProject<Projects.Webhook_Dispatcher>("webhook-dispatcher")
    .WithReplicas(settings.WebhookDispatchers)
    .WithJobQueueEnvironment(builder, settings)
    .WithDevelopmentWebhookDelivery(builder, settings)
    .WithReference(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");

var billing = builder.AddProject<Projects.Billing_Service>("billing")
    .WithJobQueueEnvironment(builder, settings)
    .WithPublicBaseUrl(builder, settings)
    .WithDemoAccount(builder, settings)
    .WithReference(postgres).WithReference(redis).WaitFor(redis).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health");

var dashboard = builder.AddProject<Projects.Dashboard_Web>("dashboard")
    .WithJobQueueEnvironment(builder, settings)
    .WithAspireDashboardLink(builder)
    .WithHttpHealthCheck("/health");

// The one public door, opened last: "started" means every service behind it is healthy. One instance, so no DCP
// proxy in front of it: the proxy reset connections the gateway answers early (a 413 for a 2 MB body arrived as
// "connection reset" in the fuzz test) and is a hop every request would pay.
builder.AddProject<Projects.Api_Gateway>("gateway")
    .WithEndpoint("http", endpoint => (endpoint.Port, endpoint.IsProxied) = (settings.GatewayPort, false))
    .WithExternalHttpEndpoints()
    .WithJobQueueEnvironment(builder, settings)
    .WithReference(postgres).WithReference(redis).WaitFor(redis)
    .WithReplicaReferences("jobs-api", jobsApi)
    .WithReference(scheduler).WaitFor(scheduler)
    .WithReference(webhooks).WaitFor(webhooks)
    .WithReference(billing).WaitFor(billing)
    .WithReference(dashboard).WaitFor(dashboard)
    .WithHttpHealthCheck("/health")
    .WithStartupBanner(builder, settings);

builder.Build().Run();
