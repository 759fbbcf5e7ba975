using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using JobQueue.Testing;
using Microsoft.Extensions.DependencyInjection;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// The AppHost on .NET Aspire: the model as AppHost.cs draws it (under Aspire.Hosting.Testing), and the AppHost as a
/// developer runs it (<c>dotnet run</c>, its own Postgres and Redis in its data folder, everything gone after SIGTERM).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AppHostTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Test]
    public async Task EveryServiceIsHealthy_TheSchemaIsAppliedOnce_AndReplicasRun()
    {
        await using var sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 2 });
        var model = sut.App.Services.GetRequiredService<DistributedApplicationModel>();
        var processes = sut.Processes;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(processes.Count(p => p.Resource == "worker"), Is.EqualTo(2), "--workers 2");
            Assert.That(processes.Count(p => p.Resource == "scheduler"), Is.EqualTo(2), "two schedulers, one leader");
            Assert.That(processes.Select(p => p.Resource).Distinct(), Is.SupersetOf(new[] { "jobs-api", "worker", "scheduler", "webhook-dispatcher", "billing", "dashboard", "gateway" }));
            Assert.That(
                model.Resources.OfType<ProjectResource>().Where(p => p.Annotations.OfType<EndpointAnnotation>().Any(e => e.IsExternal)).Select(p => p.Name),
                Is.EqualTo(new[] { "gateway" }),
                "the gateway is the only external endpoint");
        }

        // The one-shot migration ran to completion (exit 0) before the services started; none of them migrates.
        Assert.That(sut.App.ResourceNotifications.TryGetCurrentState("migrations", out var migrations), Is.True);
        // The log is streamed apart from the state, so the state can say Finished before the line arrives (a CI run failed
        // here and kept no message): wait for the line, then count.
        await sut.WaitForLogAsync("Applied migrations", Bound);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(migrations!.Snapshot.State?.Text, Is.EqualTo(KnownResourceStates.Finished));
            Assert.That(migrations.Snapshot.ExitCode, Is.Zero);
            Assert.That(sut.LogLines.Where(l => l.Contains("Applied migrations", StringComparison.Ordinal)), Has.Exactly(1).Items, "the schema is applied in one place");
            Assert.That(await sut.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"), Is.GreaterThan(0));
        }

        var id = await sut.EnqueueIdAsync(new { type = "echo", payload = new { hello = "aspire" } });
        await sut.WaitForJobAsync(id, "completed", Bound);
    }

    [Test]
    public async Task TwoJobsApiReplicas_ShareTheGateway_AndOneKilled_EnqueuesGoOnThroughTheOther()
    {
        await using var sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, JobsApiReplicas = 2 });
        var replicas = sut.Processes.Where(p => p.Resource.StartsWith("jobs-api", StringComparison.Ordinal)).ToList();
        Assert.That(replicas.Select(r => r.Resource), Is.EquivalentTo(new[] { "jobs-api", "jobs-api-2" }));

        // The gateway is given each replica's own address (no DCP proxy between them) and balances over them itself.
        Assert.That(sut.App.ResourceNotifications.TryGetCurrentState("gateway", out var gateway), Is.True);
        var destinations = gateway!.Snapshot.EnvironmentVariables
            .Where(v => v.Name.StartsWith("services__jobs-api__http__", StringComparison.Ordinal))
            .Select(v => v.Value)
            .ToList();
        Assert.That(destinations.Distinct().ToList(), Has.Count.EqualTo(2), string.Join(", ", destinations));

        SystemUnderTest.Kill(replicas[0]);
        await WaitUntil(() => !replicas[0].IsAlive, Bound, "the first replica is dead");

        // The gateway's health checks take the dead replica out: enqueues succeed again, twenty in a row.
        var streak = 0;
        await WaitUntil(async () =>
        {
            using var response = await sut.Client.PostAsJsonAsync("/api/v1/jobs", new { type = "noop" });
            streak = response.StatusCode == HttpStatusCode.Created ? streak + 1 : 0;
            return streak >= 20;
        }, Bound, "twenty enqueues in a row succeed through the surviving replica");
    }

    [Test]
    public async Task DotnetRun_StartsItsOwnServers_ServesTheGateway_AndLeavesNoProcessAfterSigterm()
    {
        var dataDir = TestPaths.NewTempDirectory("jobqueue-apphost");
        var port = FreePort.Get();
        var apiKey = $"key-{Guid.NewGuid():N}";
        var log = new ConcurrentQueue<string>();
        var info = new ProcessStartInfo(DotnetPath(), ["run", "--no-build", "--project", Path.Combine(RepoRoot(), "JobQueue.AppHost"), "--", "--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir, "--workers", "1"])
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "ConnectionStrings__postgres", "ConnectionStrings__redis", "DATABASE_DSN", "REDIS_ADDR", "GATEWAY_PORT", "WORKER_REPLICAS", "JOBQUEUE_DATA_DIR" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["API_KEY"] = apiKey;
        info.Environment["RATE_LIMIT_RPS"] = "0";
        // Ports of its own, so that it runs beside a ./run.sh (or another test run): the services' proxies on ports DCP
        // chooses, and the dashboard's three endpoints on free ones (over the launch profile's, which the command line
        // wins against).
        info.Environment["DcpPublisher__RandomizePorts"] = "true";
        info.ArgumentList.Add($"--ASPNETCORE_URLS=http://localhost:{FreePort.Get()}");
        info.ArgumentList.Add($"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{FreePort.Get()}");
        info.ArgumentList.Add($"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{FreePort.Get()}");
        using var appHost = new Process { StartInfo = info };
        appHost.OutputDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        appHost.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        Assert.That(appHost.Start(), Is.True);
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        string Tail() => string.Join(Environment.NewLine, log.TakeLast(60));
        var descendants = new HashSet<int>();

        try
        {
            await WaitUntil(() => log.Any(l => l.Contains("JobQueue is up.", StringComparison.Ordinal)) || appHost.HasExited, Bound, "the startup banner");
            Assert.That(appHost.HasExited, Is.False, Tail());
            using (Assert.EnterMultipleScope())
            {
                Assert.That(log, Has.Some.Contains($"http://localhost:{port}"), "the banner names the gateway");
                Assert.That(log, Has.Some.Match(@"Aspire dashboard .*http://localhost:\d+/login\?t=\w+"), "the banner names the dashboard with its login token");
                Assert.That(Directory.Exists(Path.Combine(dataDir, "postgres")), Is.True, "its own Postgres cluster in the data folder");
            }

            using var client = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
            using var enqueue = await client.PostAsJsonAsync("/api/v1/jobs", new { type = "echo", payload = new { hello = "run" } });
            Assert.That(enqueue.StatusCode, Is.EqualTo(HttpStatusCode.Created), await enqueue.Content.ReadAsStringAsync());
            var id = (await enqueue.EnvelopeAsync()).GetProperty("data").GetProperty("id").GetGuid();
            await WaitUntil(async () => (await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}")).GetProperty("data").GetProperty("status").GetString() == "completed", Bound, $"job {id} completes");

            descendants.UnionWith(Descendants(appHost.Id));
            Assert.That(descendants, Has.Count.GreaterThan(8), "DCP, the servers and the services run under the AppHost");
            var stopwatch = Stopwatch.StartNew();
            SystemUnderTest.Terminate(new SystemProcess("apphost", "apphost", appHost.Id));
            await appHost.WaitForExitAsync().WaitAsync(Bound);
            await WaitUntil(() => !descendants.Any(IsAlive), TimeSpan.FromSeconds(30), "every process the AppHost started has exited");
            TestContext.Out.WriteLine($"Stopped in {stopwatch.Elapsed.TotalSeconds:0.0} s; {descendants.Count} processes had run under the AppHost.");

            // Whether Postgres always got its fast shutdown is not asserted: in 1 of 3 clean runs postmaster.pid was
            // left behind (DCP stopped the wrapper before the postmaster finished); see the issue note.
        }
        finally
        {
            // Also when the test failed before it looked: the AppHost runs under dotnet run, DCP beside it.
            descendants.UnionWith(Descendants(appHost.Id));
            foreach (var pid in descendants.Append(appHost.Id).Where(IsAlive))
            {
                SystemUnderTest.Kill(new SystemProcess("leftover", "leftover", pid));
            }

            TestPaths.DeleteQuietly(dataDir);
        }
    }

    [Test]
    public async Task TheManifest_NamesRealPostgresAndRedis_UnderTheSameNames_AndCarriesNoDevelopmentSecret()
    {
        var output = Path.Combine(TestPaths.NewTempDirectory("jobqueue-manifest"), "aspire-manifest.json");
        var info = new ProcessStartInfo(DotnetPath(), ["run", "--no-build", "--project", Path.Combine(RepoRoot(), "JobQueue.AppHost"), "--", "--publisher", "manifest", "--output-path", output])
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in new[] { "ConnectionStrings__postgres", "ConnectionStrings__redis", "DATABASE_DSN", "REDIS_ADDR", "API_KEY", "JWT_SECRET", "BASE_URL" })
        {
            info.Environment.Remove(name);
        }

        using var publish = Process.Start(info)!;
        var log = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync().WaitAsync(Bound);
        Assert.That(publish.ExitCode, Is.Zero, await log + await errors);

        var resources = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("resources");
        string Type(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Type("postgres-server"), Is.EqualTo("container.v0"), "a real Postgres server");
            Assert.That(resources.GetProperty("postgres").GetProperty("connectionString").GetString(), Does.EndWith("Database=jobqueue"));
            Assert.That(Type("redis"), Is.EqualTo("container.v0"), "a real Redis server");
            Assert.That(Type("migrations"), Is.EqualTo("project.v0"));
            foreach (var service in new[] { "migrations", "jobs-api", "scheduler", "worker", "webhook-dispatcher", "billing", "gateway" })
            {
                var env = resources.GetProperty(service).GetProperty("env");
                Assert.That(env.GetProperty("ConnectionStrings__postgres").GetString(), Is.EqualTo("{postgres.connectionString}"), service);
                Assert.That(env.GetProperty("ConnectionStrings__redis").GetString(), Is.EqualTo("{redis.connectionString}"), service);
                Assert.That(env.TryGetProperty("JWT_SECRET", out _) || env.TryGetProperty("API_KEY", out _), Is.False, $"{service} carries a development secret");
            }

            Assert.That(
                resources.EnumerateObject().Where(r => r.Value.TryGetProperty("bindings", out var b) && b.EnumerateObject().Any(x => x.Value.TryGetProperty("external", out var e) && e.GetBoolean())).Select(r => r.Name),
                Is.EqualTo(new[] { "gateway" }),
                "only the gateway is external");
        }

        TestPaths.DeleteQuietly(Path.GetDirectoryName(output));
    }

    private static bool IsAlive(int pid) => new SystemProcess("?", "?", pid).IsAlive;

    /// <summary>
    /// Every process below <paramref name="pid"/>, from /proc, and below the DCP daemons that watch one of them
    /// (<c>dcp start-apiserver --monitor PID</c> detaches from its parent; the services run under it).
    /// </summary>
    private static HashSet<int> Descendants(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        var monitors = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(p);
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                    var monitor = Array.IndexOf(cmdline, "--monitor");
                    if (monitor > 0 && monitor + 1 < cmdline.Length && int.TryParse(cmdline[monitor + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var watched))
                    {
                        (monitors.TryGetValue(watched, out var m) ? m : monitors[watched] = []).Add(p);
                    }
                }
            }
            catch (IOException)
            {
            }
        }

        var found = new HashSet<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var child in (children.GetValueOrDefault(next) ?? []).Concat(monitors.GetValueOrDefault(next) ?? []))
            {
                if (found.Add(child))
                {
                    queue.Enqueue(child);
                }
            }
        }

        return found;
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RepoRoot() =>
        typeof(SystemUnderTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "JobQueue.RepoRoot").Value!;
}
