using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// The AppHost as a developer runs it: no connection strings, so it starts its own Postgres and Redis in its data
/// folder, then every service; on SIGTERM it stops all of them, servers included.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class AppHostTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task AppHostWithoutConnectionStrings_StartsItsOwnServers_RunsAJob_AndStopsEverythingOnSigterm()
    {
        var dataDir = NewTraversableTempDirectory();
        var port = FreePort.Get();
        var log = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pids = new ConcurrentDictionary<string, int>();
        var apiKey = $"key-{Guid.NewGuid():N}";

        var info = new ProcessStartInfo(DotnetPath(), [AppHostDll(), "--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir, "--workers", "1"])
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
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["RATE_LIMIT_RPS"] = "0"; // the test polls from one key; limits have their own tests

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            log.Enqueue(line);
            if (ProcessLine().Match(line) is { Success: true } p)
            {
                pids[p.Groups["name"].Value] = int.Parse(p.Groups["pid"].Value, CultureInfo.InvariantCulture);
            }
            else if (ReadyLine().Match(line) is { Success: true } r)
            {
                ready.TrySetResult(r.Groups["gateway"].Value);
            }
        }

        using var appHost = new Process { StartInfo = info };
        appHost.OutputDataReceived += (_, e) => OnLine(e.Data);
        appHost.ErrorDataReceived += (_, e) => OnLine(e.Data);
        Assert.That(appHost.Start(), Is.True);
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        var appHostProcess = new SystemProcess("apphost", "apphost", null, appHost.Id, string.Empty);
        string Tail() => string.Join(Environment.NewLine, log.TakeLast(40));

        try
        {
            var exited = appHost.WaitForExitAsync();
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(Bound));
            Assert.That(first, Is.SameAs(ready.Task), $"the AppHost was not ready (exited: {appHost.HasExited}):{Environment.NewLine}{Tail()}");
            var gateway = await ready.Task;
            Assert.That(gateway, Does.EndWith($":{port}"), "the gateway listens on --port");
            Assert.That(pids.Keys, Is.SupersetOf(new[] { "postgres", "redis", "gateway", "jobs-api", "scheduler#0", "worker#0" }), Tail());
            Assert.That(pids.Keys.Where(k => k.StartsWith("worker", StringComparison.Ordinal)), Has.Exactly(1).Items, "--workers 1");

            // Its own Postgres lives in the data folder it was given.
            Assert.That(Directory.Exists(Path.Combine(dataDir, "postgres")), Is.True, $"{dataDir}/postgres");
            Assert.That(ProcessesMentioning(dataDir), Is.Not.Empty, "a process (postgres) runs on the data folder");

            using var client = new HttpClient { BaseAddress = new Uri(gateway), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
            using var enqueue = await client.PostAsJsonAsync("/api/v1/jobs", new { type = "echo", payload = new { hello = "apphost" } });
            var created = await enqueue.EnvelopeAsync();
            Assert.That(enqueue.StatusCode, Is.EqualTo(HttpStatusCode.Created), created.ToString());
            var id = created.GetProperty("data").GetProperty("id").GetGuid();

            JsonElement job = default;
            await WaitUntil(async () =>
            {
                job = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}")).GetProperty("data");
                return job.GetProperty("status").GetString() == "completed";
            }, Bound, $"job {id} is completed");
            var result = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}/result")).GetProperty("data");
            Assert.That(result.GetProperty("hello").GetString(), Is.EqualTo("apphost"));

            SystemUnderTest.Terminate(appHostProcess);
            await appHost.WaitForExitAsync().WaitAsync(Bound);
            TestContext.Out.WriteLine($"The AppHost exited with code {appHost.ExitCode}.");

            using (Assert.EnterMultipleScope())
            {
                Assert.That(
                    pids.Where(p => new SystemProcess(p.Key, p.Key, null, p.Value, string.Empty).IsAlive).Select(p => $"{p.Key} (pid {p.Value})"),
                    Is.Empty,
                    "processes the AppHost printed still alive after it exited");
                Assert.That(ProcessesMentioning(dataDir), Is.Empty, "processes still running on the data folder (its postgres or redis)");
                Assert.That(appHost.ExitCode, Is.Zero, $"exit code after SIGTERM:{Environment.NewLine}{Tail()}");
            }
        }
        finally
        {
            // Nothing leaks even when an assertion failed midway.
            if (!appHost.HasExited)
            {
                SystemUnderTest.Kill(appHostProcess);
            }

            foreach (var (name, pid) in pids)
            {
                var p = new SystemProcess(name, name, null, pid, string.Empty);
                if (p.IsAlive)
                {
                    SystemUnderTest.Kill(p);
                }
            }

            foreach (var pid in ProcessesMentioning(dataDir))
            {
                SystemUnderTest.Kill(new SystemProcess("leftover", "leftover", null, pid, string.Empty));
            }

            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Pids of live processes whose command line holds <paramref name="text"/>.</summary>
    private static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && new SystemProcess("?", "?", null, pid, string.Empty).IsAlive)
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>A temp folder the postgres user may traverse (initdb runs as postgres when the tests run as root).</summary>
    private static string NewTraversableTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"jobqueue-apphost-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(
            path,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>As JobQueue.Testing records it: the repository root and the configuration the solution was built in.</summary>
    private static string RepoRoot() =>
        typeof(SystemUnderTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "JobQueue.RepoRoot").Value!;

    private static string AppHostDll()
    {
        var configuration = typeof(SystemUnderTest).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepoRoot(), "JobQueue.AppHost", "bin", configuration, "net10.0", "JobQueue.AppHost.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll}: build the solution first");
        return dll;
    }

    [GeneratedRegex(@"^JOBQUEUE PROCESS (?<name>\S+) pid=(?<pid>\d+) url=")]
    private static partial Regex ProcessLine();

    [GeneratedRegex(@"^JOBQUEUE READY(?: gateway=(?<gateway>\S+))?")]
    private static partial Regex ReadyLine();
}
