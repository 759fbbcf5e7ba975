using JobQueue.AppHost;
using JobQueue.AppHost.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

// Resources: Postgres is the truth (kept across runs), Redis the index rebuilt from it.
var postgres = builder.AddPostgres("postgres")
    .WithDataDirectory(builder.DataDirectory("postgres"))
    .AddDatabase("jobqueue");
var redis = builder.AddRedis("redis")
    .WithDataDirectory(builder.DataDirectory("redis"));

// Services: jobs-api applies the schema migrations, so the others wait for it.
var jobsApi = builder.AddProject("jobs-api", "Jobs.Api")
    .WithReference(postgres).WaitFor(postgres)
    .WithReference(redis).WaitFor(redis);

var scheduler = builder.AddProject("scheduler", "Scheduler.Service")
    .WithReplicas(builder.Options.Schedulers)
    .WithReference(postgres).WithReference(redis)
    .WaitFor(jobsApi);

builder.AddProject("worker", "Worker.Service")
    .WithReplicas(builder.Options.Workers)
    .WithShutdownTimeout(builder.WorkerStopGrace())
    .WithReference(postgres).WithReference(redis)
    .WaitFor(jobsApi);

var webhooks = builder.AddProject("webhook-dispatcher", "Webhook.Dispatcher")
    .WithReplicas(builder.Options.WebhookDispatchers)
    .WithDevelopmentWebhookAddresses(builder)
    .WithReference(postgres).WithReference(redis)
    .WaitFor(jobsApi);

// BASE_URL: where the browser comes back to (Stripe's redirects, the password-reset link): the gateway's address.
var billing = builder.AddProject("billing", "Billing.Service")
    .WithEnvironment("BASE_URL", Environment.GetEnvironmentVariable("BASE_URL") is { Length: > 0 } publicUrl ? publicUrl : $"http://localhost:{builder.Options.GatewayPort}")
    .WithReference(postgres).WithReference(redis)
    .WaitFor(jobsApi);

// The gateway: the one public door, opened last. It routes "/" to the dashboard, so it also waits for it (below).
var gateway = builder.AddProject("gateway", "Api.Gateway")
    .WithHttpEndpoint(port: builder.Options.GatewayPort)
    .WithReference(postgres).WithReference(redis)
    .WithReference(jobsApi).WaitFor(jobsApi)
    .WithReference(scheduler).WaitFor(scheduler)
    .WithReference(webhooks).WaitFor(webhooks)
    .WithReference(billing).WaitFor(billing);

// The dashboard's browser code talks to the gateway only (the server side, like every service, checks Postgres
// and Redis in /health). Ports are chosen before anything starts, so the two can reference each other; the wait
// goes one way: the dashboard starts first and the gateway, which serves it, stops first.
var dashboard = builder.AddProject("dashboard", "Dashboard.Web")
    .WithReference(postgres).WithReference(redis)
    .WaitFor(postgres).WaitFor(redis)
    .WithReference(gateway);
gateway.WithReference(dashboard).WaitFor(dashboard);

return builder.Build().Run();
