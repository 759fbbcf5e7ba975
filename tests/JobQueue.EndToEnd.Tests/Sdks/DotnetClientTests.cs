using System.Net;
using System.Text;
using System.Text.Json;
using JobQueue.Client;
using JobQueue.Client.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static JobQueue.Testing.Polling;
using ServerSignature = JobQueue.Core.Webhooks.WebhookSignature;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// The .NET SDK (<c>sdk/dotnet/JobQueue.Client</c>) against the SDK system through its gateway, registered as an
/// application registers it (<c>AddJobQueueClient</c>, <c>AddJobQueueWorker</c>), each test in an account of its own.
/// </summary>
[TestFixture]
public sealed class DotnetClientTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task AnEchoJob_IsEnqueued_Completes_AndItsResultAndAttemptsAreRead_AgainstTheSystem()
    {
        await using var services = await ClientOfANewAccountAsync();
        var jobs = services.GetRequiredService<JobQueueClient>();

        var job = await jobs.EnqueueAsync(new EnqueueRequest
        {
            Type = "echo",
            Payload = JsonSerializer.SerializeToElement(new { to = "ada@example.com" }),
            Priority = 8,
            Tags = new Dictionary<string, string> { ["sdk"] = "dotnet" },
        });
        Assert.That(job.Status, Is.EqualTo(JobStatus.Pending));

        await WaitUntil(async () => (job = await jobs.GetJobAsync(job.Id)).Status == JobStatus.Completed, Bound, "the echo job completes");
        var result = await jobs.GetResultAsync(job.Id);
        var attempts = await jobs.GetAttemptsAsync(job.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(job.Priority, Is.EqualTo(8));
            Assert.That(job.Tags, Does.ContainKey("sdk").WithValue("dotnet"));
            Assert.That(result?.GetProperty("to").GetString(), Is.EqualTo("ada@example.com"), "echo's result is its payload");
            Assert.That(attempts.Select(a => (a.Attempt, a.Outcome)), Is.EqualTo(new[] { (1, "completed") }));
        }
    }

    [Test]
    public async Task ABatch_IsReadBack_ThroughTheCursor_PageAfterPage_AgainstTheSystem()
    {
        await using var services = await ClientOfANewAccountAsync();
        var jobs = services.GetRequiredService<JobQueueClient>();
        var tag = new Dictionary<string, string> { ["batch"] = Guid.NewGuid().ToString("N") };

        var enqueued = await jobs.EnqueueBatchAsync(Enumerable.Range(0, 25).Select(i => new EnqueueRequest
        {
            Type = "noop",
            Tags = tag,
            ScheduledAt = DateTimeOffset.UtcNow.AddHours(1),
        }));
        var read = new List<Guid>();
        await foreach (var job in jobs.EnumerateJobsAsync(new JobQuery { Tags = tag, Limit = 10 }))
        {
            read.Add(job.Id);
        }

        var page = await jobs.ListJobsAsync(new JobQuery { Tags = tag, Limit = 10, Offset = 20 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued, Has.Count.EqualTo(25));
            Assert.That(read, Is.EquivalentTo(enqueued.Select(j => j.Id)), "three cursor pages of 10, 10 and 5");
            Assert.That((page.TotalCount, page.Items.Count, page.HasMore), Is.EqualTo((25, 5, false)));
        }

        var cancelled = await jobs.CancelJobAsync(enqueued[0].Id);
        Assert.That(cancelled.Status, Is.EqualTo("cancelled"), "a waiting job is cancelled at once");
    }

    [Test]
    public async Task TheApisErrors_AreThrown_WithItsMessageStatusAndRequestId_AgainstTheSystem()
    {
        await using var services = await ClientOfANewAccountAsync();
        var jobs = services.GetRequiredService<JobQueueClient>();

        var notFound = await Assert.ThrowsAsync<JobQueueException>(() => jobs.GetJobAsync(Guid.NewGuid()));
        var invalid = await Assert.ThrowsAsync<JobQueueException>(() => jobs.EnqueueAsync(new EnqueueRequest { Type = "echo", Priority = 11 }));
        var done = await jobs.EnqueueAsync(new EnqueueRequest { Type = "noop" });
        await WaitUntil(async () => (await jobs.GetJobAsync(done.Id)).Status == JobStatus.Completed, Bound, "the noop job completes");
        var conflict = await Assert.ThrowsAsync<JobQueueException>(() => jobs.RetryJobAsync(done.Id));
        await using var wrongKey = Client(o => o.ApiKey = "jq_not-a-key");
        var unauthorized = await Assert.ThrowsAsync<JobQueueException>(() => wrongKey.GetRequiredService<JobQueueClient>().GetStatsAsync());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(notFound!.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(notFound.Message, Does.Contain("not found").IgnoreCase);
            Assert.That(notFound.RequestId, Is.Not.Null.And.Not.Empty);
            Assert.That(invalid!.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(invalid.Message, Does.Contain("priority"));
            Assert.That(conflict!.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(unauthorized!.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
    }

    [Test]
    public async Task A429_IsWaitedOut_ByItsRetryAfter_SoABurstAboveTheLimitAllSucceeds_AgainstTheSystem()
    {
        await using var services = await ClientOfANewAccountAsync();
        var jobs = services.GetRequiredService<JobQueueClient>();

        // The limiter is real: the same burst from a plain HttpClient with a key of its own meets 429s.
        var other = await jobs.CreateKeyAsync("raw");
        using var raw = SdkSystem.System.CreateClient(other.Key);
        var rawStatuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async _ =>
        {
            using var response = await raw.GetAsync("/api/v1/stats");
            return response.StatusCode;
        }));
        Assert.That(rawStatuses, Has.Some.EqualTo(HttpStatusCode.TooManyRequests), "60 requests at once exceed the burst of 20");

        var stats = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => jobs.GetStatsAsync()));
        Assert.That(stats, Has.Length.EqualTo(60), "every call of the SDK succeeds after waiting out Retry-After");
    }

    [Test]
    public async Task TheHostedWorker_RunsTypedHandlers_ReportsProgress_SendsNonRetryableToTheDlq_AndShowsAsARemoteWorker_AgainstTheSystem()
    {
        var (apiKey, _) = await RegisterAsync();
        var workerId = $"dotnet-sdk-{Guid.NewGuid():N}";
        using var host = WorkerHost(apiKey, workerId);
        await host.StartAsync();
        try
        {
            var jobs = host.Services.GetRequiredService<JobQueueClient>();
            var greet = await jobs.EnqueueAsync(new EnqueueRequest { Type = GreetHandler.Type, Payload = JsonSerializer.SerializeToElement(new { name = "Ada" }) });
            var reject = await jobs.EnqueueAsync(new EnqueueRequest { Type = RejectHandler.Type, MaxAttempts = 5 });

            await WaitUntil(async () => (await jobs.GetJobAsync(greet.Id)).Status == JobStatus.Completed, Bound, "the greet job completes on the SDK's worker");
            await WaitUntil(async () => (await jobs.GetJobAsync(reject.Id)).Status == JobStatus.Dead, Bound, "the rejected job is dead after one attempt");
            var completed = await jobs.GetJobAsync(greet.Id);
            var dead = await jobs.GetJobAsync(reject.Id);
            var dlq = await jobs.ListDeadLettersAsync();
            var worker = (await jobs.ListWorkersAsync()).SingleOrDefault(w => w.Id == workerId);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(completed.Result?.GetProperty("greeting").GetString(), Is.EqualTo("hello Ada"));
                Assert.That(completed.WorkerId, Is.EqualTo(workerId));
                Assert.That(dead.Attempts, Is.EqualTo(1), "a NonRetryableJobException spends no further attempts");
                Assert.That(dead.ErrorMessage, Does.Contain("no such customer"));
                Assert.That(dlq.Items.Select(e => e.JobId), Does.Contain(reject.Id));
                Assert.That(worker?.Kind, Is.EqualTo("remote"));
                Assert.That(worker?.Types, Is.SupersetOf(new[] { GreetHandler.Type, RejectHandler.Type, SlowHandler.Type }));
            }

            var requeued = await jobs.RequeueDeadLetterAsync(dlq.Items.Single(e => e.JobId == reject.Id).Id);
            Assert.That(requeued.NewJob.Type, Is.EqualTo(RejectHandler.Type));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public async Task ACancelledJob_CancelsItsHandlersToken_AndEndsCancelled_AgainstTheSystem()
    {
        var (apiKey, _) = await RegisterAsync();
        using var host = WorkerHost(apiKey, $"dotnet-sdk-{Guid.NewGuid():N}");
        await host.StartAsync();
        try
        {
            var jobs = host.Services.GetRequiredService<JobQueueClient>();
            var slow = await jobs.EnqueueAsync(new EnqueueRequest { Type = SlowHandler.Type });
            await WaitUntil(async () => (await jobs.GetJobAsync(slow.Id)).Status == JobStatus.Running, Bound, "the slow job runs");
            await WaitUntil(() => SlowHandler.Reported.ContainsKey(slow.Id), Bound, "its handler has reported progress");

            var cancel = await jobs.CancelJobAsync(slow.Id);
            Assert.That(cancel.CancelRequested, Is.True, "a running job is asked to stop");
            await WaitUntil(async () => (await jobs.GetJobAsync(slow.Id)).Status == JobStatus.Cancelled, Bound, "the handler sees its token fire and the job ends cancelled");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public async Task CronWebhooksKeysAndUsage_RoundTrip_AgainstTheSystem()
    {
        await using var services = await ClientOfANewAccountAsync();
        var client = services.GetRequiredService<JobQueueClient>();

        var cron = await client.CreateCronAsync(new CreateCronRequest { Name = "nightly", JobType = "noop", CronExpression = "0 3 * * *", Timezone = "Europe/Paris" });
        var paused = await client.UpdateCronAsync(cron.Id, new UpdateCronRequest { Enabled = false });
        var schedules = await client.ListCronAsync();
        var cronDeleted = await client.DeleteCronAsync(cron.Id);
        var cronGone = await Assert.ThrowsAsync<JobQueueException>(() => client.GetCronAsync(cron.Id));

        // No job of this account runs, so the webhook is never called (the system sends nothing off this machine).
        var webhook = await client.CreateWebhookAsync(new CreateWebhookRequest { Url = "https://hooks.example.com/jobqueue" });
        var hooks = await client.ListWebhooksAsync();
        await client.DeleteWebhookAsync(webhook.Id);

        var second = await client.CreateKeyAsync("ci");
        var keys = await client.ListKeysAsync();
        await client.DeleteKeyAsync(second.Id);
        var usage = await client.GetUsageAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That((cron.Enabled, paused.Enabled, cron.Timezone), Is.EqualTo((true, false, "Europe/Paris")));
            Assert.That(schedules.Select(s => s.Id), Is.EqualTo(new[] { cron.Id }));
            Assert.That(cronDeleted.Status, Is.EqualTo("deleted"));
            Assert.That(cronGone!.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(webhook.Events, Is.EquivalentTo(new[] { "job.completed", "job.failed", "job.dead" }), "the original's default events");
            Assert.That(webhook.Secret, Does.StartWith("whsec_"), "a generated secret is shown once");
            Assert.That(hooks.Single().Secret, Is.Null);
            Assert.That(keys.Select(k => k.Name), Is.SupersetOf(new[] { "ci" }));
            Assert.That(second.Key, Is.Not.Empty);
            Assert.That(usage.Tier, Is.EqualTo("free"));
            Assert.That(usage.JobsLimit, Is.GreaterThan(0));
        }
    }

    [Test]
    public void TheSignatureHelper_AcceptsTheServersSignature_AndRefusesATamperedBodyOrAStaleTimestamp()
    {
        // Signed by the server's own code (JobQueue.Core, what Webhook.Dispatcher sends), verified by the SDK's.
        var secret = $"whsec_{Guid.NewGuid():N}";
        var body = Encoding.UTF8.GetBytes("""{"event":"job.completed","data":{"id":"42"}}""");
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>
        {
            [WebhookSignature.SignatureHeader] = ServerSignature.Sign(secret, body),
            [WebhookSignature.TimestampHeader] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [WebhookSignature.TimestampedSignatureHeader] = ServerSignature.SignTimestamped(secret, timestamp, body),
        };
        string? Header(string name) => headers.GetValueOrDefault(name);
        var tampered = body.ToArray();
        tampered[^3] = (byte)'3';
        using (Assert.EnterMultipleScope())
        {
            Assert.That(WebhookSignature.Verify(secret, body, Header), Is.True);
            Assert.That(WebhookSignature.Verify(secret, tampered, Header), Is.False, "another body");
            Assert.That(WebhookSignature.Verify("whsec_wrong-secret-0123456789", body, Header), Is.False, "another secret");
            Assert.That(WebhookSignature.Verify(secret, body, Header, now: now.AddMinutes(6)), Is.False, "older than the 5 minutes' tolerance");
        }
    }

    [Test]
    public async Task TheReadmesExample_RunsAgainstTheSystem()
    {
        var (apiKey, _) = await RegisterAsync();
        var example = Path.Combine(JobQueue.Testing.TestPaths.RepoRoot, "sdk", "dotnet", "examples", "JobQueue.Client.Example");
        var run = await JobQueue.Testing.ExternalCommand.RunAsync(
            "dotnet",
            [Path.Combine(example, "bin", "Debug", "net10.0", "JobQueue.Client.Example.dll")],
            example,
            new Dictionary<string, string?> { ["JOBQUEUE_URL"] = SdkSystem.System.GatewayUrl, ["JOBQUEUE_API_KEY"] = apiKey },
            TimeSpan.FromMinutes(2));
        TestContext.Out.WriteLine(run.Text);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.Zero, run.Text);
            Assert.That(run.Output, Does.Contain("Completed after 1 attempt(s)"));
            Assert.That(run.Output, Does.Contain("""result: {"to": "ada@example.com"}"""));
            Assert.That(run.Output, Does.Contain("1 job(s) tagged example:readme"), "a new account holds only the example's job");
        }
    }

    [Test]
    public async Task DotnetPack_MakesAPackage_WithTheLibraryItsDocsAndItsReadme()
    {
        var output = JobQueue.Testing.TestPaths.NewTempDirectory("jobqueue-pack");
        var project = Path.Combine(JobQueue.Testing.TestPaths.RepoRoot, "sdk", "dotnet", "JobQueue.Client", "JobQueue.Client.csproj");
        var pack = await JobQueue.Testing.ExternalCommand.RunAsync("dotnet", ["pack", project, "-c", "Debug", "--no-build", "-o", output, "-nologo"], JobQueue.Testing.TestPaths.RepoRoot, timeout: TimeSpan.FromMinutes(3));
        Assert.That(pack.ExitCode, Is.Zero, pack.Text);

        var package = Directory.GetFiles(output, "JobQueue.Client.*.nupkg").Single();
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Is.SupersetOf(new[] { "README.md", "lib/net10.0/JobQueue.Client.dll", "lib/net10.0/JobQueue.Client.xml" }));
        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(await readme.ReadToEndAsync(), Does.Contain("AddJobQueueClient"), "the package's README is the SDK's");
    }

    private static async Task<(string ApiKey, string Email)> RegisterAsync()
    {
        await using var anonymous = Client(_ => { });
        var email = $"dotnet-sdk-{Guid.NewGuid():N}@example.com";
        var registration = await anonymous.GetRequiredService<JobQueueClient>().RegisterAsync(new Credentials(email, "correct horse battery staple"));
        return (registration.ApiKey.Key, email);
    }

    private static async Task<ServiceProvider> ClientOfANewAccountAsync()
    {
        var (apiKey, _) = await RegisterAsync();
        return Client(o => o.ApiKey = apiKey);
    }

    private static ServiceProvider Client(Action<JobQueueClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddJobQueueClient(o =>
        {
            o.BaseAddress = new Uri(SdkSystem.System.GatewayUrl);
            configure(o);
        });
        return services.BuildServiceProvider();
    }

    private static IHost WorkerHost(string apiKey, string workerId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddJobQueueClient(o =>
        {
            o.BaseAddress = new Uri(SdkSystem.System.GatewayUrl);
            o.ApiKey = apiKey;
        });
        builder.Services.AddJobQueueWorker(o =>
            {
                o.WorkerId = workerId;
                o.Concurrency = 4;
                o.PollWait = TimeSpan.FromSeconds(2);
                o.LeaseDuration = TimeSpan.FromSeconds(6);
            })
            .AddHandler<GreetHandler>(GreetHandler.Type)
            .AddHandler<RejectHandler>(RejectHandler.Type)
            .AddHandler<SlowHandler>(SlowHandler.Type);
        return builder.Build();
    }

    private sealed record Greeting(string Name);

    private sealed class GreetHandler : IJobQueueHandler<Greeting>
    {
        public const string Type = "dotnet-sdk.greet";

        public Task<object?> HandleAsync(Greeting payload, JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult<object?>(new { greeting = $"hello {payload.Name}" });
    }

    private sealed class RejectHandler : IJobQueueHandler
    {
        public const string Type = "dotnet-sdk.reject";

        public Task<object?> HandleAsync(JobContext context, CancellationToken cancellationToken) =>
            throw new NonRetryableJobException("no such customer");
    }

    private sealed class SlowHandler : IJobQueueHandler
    {
        public const string Type = "dotnet-sdk.slow";

        public static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, int> Reported = new();

        public async Task<object?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            await context.ReportProgressAsync(new { percent = 10 }, cancellationToken);
            Reported[context.Job.Id] = 10;
            await Task.Delay(TimeSpan.FromMinutes(2), cancellationToken);
            return null;
        }
    }
}
