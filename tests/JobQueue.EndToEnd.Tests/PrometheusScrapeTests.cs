using System.Diagnostics;
using System.Text.Json;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// A real Prometheus (Debian's package) scrapes the gateway with the README's scrape configuration, bearer token
/// included, and its query API then returns the system families: the exposition is one that Prometheus itself accepts
/// (it asks for gzip and OpenMetrics, which once broke the gateway's answer).
/// </summary>
[TestFixture]
public sealed class PrometheusScrapeTests
{
    private const string MetricsToken = "e2e-metrics-token-0123456789abcdef";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;
    private Process? _prometheus;
    private string _dir = "";
    private HttpClient _query = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var binary = "/usr/bin/prometheus";
        if (!File.Exists(binary))
        {
            Assert.Fail("prometheus is not installed: apt-get install -y prometheus (.ci/run installs it)");
        }

        var environment = new Dictionary<string, string>(Api.FastEnvironment()) { ["METRICS_TOKEN"] = MetricsToken };
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, Environment = environment });

        _dir = Directory.CreateTempSubdirectory("jq-prometheus-").FullName;
        var gateway = new Uri(_sut.GatewayUrl);
        await File.WriteAllTextAsync(Path.Combine(_dir, "prometheus.yml"), $"""
            scrape_configs:
              - job_name: jobqueue
                scrape_interval: 1s
                scrape_timeout: 1s
                authorization:
                  credentials: {MetricsToken}
                static_configs:
                  - targets: ["127.0.0.1:{gateway.Port}"]
            """);
        var port = FreePort.Get();
        _prometheus = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList =
            {
                "--config.file=" + Path.Combine(_dir, "prometheus.yml"), "--storage.tsdb.path=" + Path.Combine(_dir, "data"),
                $"--web.listen-address=127.0.0.1:{port}",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _prometheus.BeginErrorReadLine();
        _prometheus.BeginOutputReadLine();
        _query = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_prometheus is { HasExited: false })
        {
            _prometheus.Kill(entireProcessTree: true);
            await _prometheus.WaitForExitAsync();
        }

        _prometheus?.Dispose();
        _query?.Dispose();
        if (_sut is not null)
        {
            await _sut.DisposeAsync();
        }

        if (_dir.Length > 0)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public async Task Prometheus_ScrapesTheGatewayWithTheBearerToken_AndQueriesTheSystemFamilies()
    {
        await _sut.EnqueueIdAsync(new { type = "echo", payload = new { n = 1 } });

        var target = await UntilAsync(async () =>
        {
            var targets = await GetDataAsync("/api/v1/targets");
            var active = targets.GetProperty("activeTargets");
            return active.GetArrayLength() > 0 && active[0].GetProperty("health").GetString() == "up" ? active[0].Clone() : (JsonElement?)null;
        }, Bound, "Prometheus reports the gateway target up");
        Assert.That(target.GetProperty("lastError").GetString(), Is.Empty);

        var completed = await UntilAsync(async () =>
        {
            var result = (await GetDataAsync("/api/v1/query?query=" + Uri.EscapeDataString("sum(jobqueue_jobs_completed_total)"))).GetProperty("result");
            return result.GetArrayLength() > 0 && double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 1
                ? result.Clone() : (JsonElement?)null;
        }, Bound, "sum(jobqueue_jobs_completed_total) >= 1 in Prometheus");
        Assert.That(completed.GetArrayLength(), Is.EqualTo(1));

        var up = (await GetDataAsync("/api/v1/query?query=" + Uri.EscapeDataString("jobqueue_metrics_source_up"))).GetProperty("result");
        Assert.That(up.GetArrayLength(), Is.EqualTo(2), "postgres and redis sources");
    }

    private async Task<JsonElement> GetDataAsync(string path)
    {
        using var doc = JsonDocument.Parse(await _query.GetStringAsync(path));
        Assert.That(doc.RootElement.GetProperty("status").GetString(), Is.EqualTo("success"));
        return doc.RootElement.GetProperty("data").Clone();
    }

    private static async Task<JsonElement> UntilAsync(Func<Task<JsonElement?>> probe, TimeSpan bound, string what)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            try
            {
                if (await probe() is { } found)
                {
                    return found;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Prometheus is still starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {bound.TotalSeconds} s: {what}");
            }

            await Task.Delay(250);
        }
    }
}
