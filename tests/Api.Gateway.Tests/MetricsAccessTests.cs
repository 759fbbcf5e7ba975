using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using JobQueue.Storage.Migrations;
using JobQueue.Testing;
using Npgsql;

namespace Api.Gateway.Tests;

/// <summary>Who may read the gateway's /metrics, with which methods, and that a compressed scrape is still one exposition.</summary>
public sealed class MetricsAccessTests
{
    private const string Token = "metrics-token-for-tests-0123456789";

    private string _connectionString = "";
    private readonly List<GatewayFactory> _factories = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await Migrator.MigrateAsync(dataSource, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        foreach (var factory in _factories)
        {
            await factory.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    private HttpClient Gateway(string environment = "Development", string? token = null)
    {
        var settings = new Dictionary<string, string> { ["JWT_SECRET"] = "a-test-secret-that-is-long-enough-for-hs256-0123" };
        if (token is not null)
        {
            settings["METRICS_TOKEN"] = token;
        }

        var factory = new GatewayFactory(_connectionString, TestInfrastructure.RedisConnectionString, settings, environment);
        _factories.Add(factory);
        return factory.CreateClient();
    }

    [TestCase("POST")]
    [TestCase("PUT")]
    [TestCase("DELETE")]
    [TestCase("PATCH")]
    public async Task Metrics_AnswersOnlyGet_OtherMethodsAre405InTheEnvelope(string method)
    {
        using var client = Gateway();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/metrics"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(await ErrorOf(response), Does.Contain("not allowed"));
    }

    [Test]
    public async Task Metrics_IsClosedOutsideDevelopment_WithoutAToken()
    {
        using var client = Gateway(environment: "Production");
        using var response = await client.GetAsync("/metrics");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ErrorOf(response), Does.Contain("METRICS_TOKEN"));
    }

    [TestCase(null)]
    [TestCase("wrong-token")]
    [TestCase(Token + "x")]
    public async Task Metrics_WithATokenSet_RefusesAMissingOrWrongBearer_With401(string? presented)
    {
        using var client = Gateway(environment: "Production", token: Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (presented is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", presented);
        }

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
        Assert.That(await ErrorOf(response), Does.Contain("Bearer"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("jobqueue_"), "nothing of the exposition leaks");
    }

    [Test]
    public async Task Metrics_WithTheRightBearer_IsTheWholeExposition()
    {
        using var client = Gateway(environment: "Production", token: Token);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var text = await client.GetStringAsync("/metrics");

        Assert.That(text, Does.Contain("# TYPE jobqueue_jobs_enqueued_total counter"));
        Assert.That(text, Does.Contain("# TYPE jobqueue_metrics_source_up gauge"));
    }

    /// <summary>Prometheus asks for gzip and OpenMetrics; the answer must still be one readable text exposition.</summary>
    [Test]
    public async Task Metrics_AskedForGzipAndOpenMetricsAsPrometheusDoes_IsOneTextExposition()
    {
        using var client = Gateway();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");

        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var gzipped = response.Content.Headers.ContentEncoding.Contains("gzip");
        var text = gzipped ? Gunzip(bytes) : System.Text.Encoding.UTF8.GetString(bytes);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(text, Does.Contain("# TYPE jobqueue_jobs_enqueued_total counter"));
        Assert.That(text, Does.Contain("target_info{service_name=\"Api.Gateway\""), "the gateway's own OTel metrics, readable");
        Assert.That(text.Count(c => c == '\uFFFD'), Is.Zero, "no undecodable bytes in the exposition");
    }

    private static string Gunzip(byte[] bytes)
    {
        using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new StreamReader(input);
        return reader.ReadToEnd();
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.RootElement.GetProperty("meta").GetProperty("request_id").GetString(), Is.Not.Empty);
        return doc.RootElement.GetProperty("error").GetString() ?? "";
    }
}
