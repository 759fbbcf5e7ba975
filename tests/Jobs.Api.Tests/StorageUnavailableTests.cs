using System.Net;
using JobQueue.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NUnit.Framework;

namespace Jobs.Api.Tests;

/// <summary>
/// Postgres unreachable: the connection string points at a port nothing listens on.
/// </summary>
public sealed class StorageUnavailableTests
{
    private JobsApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        var closed = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString) { Port = FreePort.Get(), Database = "nowhere" };
        _factory = new JobsApiFactory(closed.ConnectionString);
        _client = _factory.CreateClient(JobsApiFactory.ApiKey);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Test]
    public async Task Enqueue_Answers503InTheEnvelope_WhenPostgresIsUnreachable()
    {
        using var response = await _client.PostAsync("/api/v1/jobs", new StringContent("""{"type":"x"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.CurrentContext.CancellationToken);
        var body = await Envelope.ReadAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("unavailable"));
    }

    [Test]
    public async Task Health_Answers503_WhenPostgresIsUnreachable()
    {
        using var response = await _client.GetAsync("/health", TestContext.CurrentContext.CancellationToken);
        var body = await Envelope.ReadAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body.ToJsonString());
        Assert.That(body["status"]!.GetValue<string>(), Is.EqualTo("degraded"));
        Assert.That(body["checks"]!["postgres"]!.GetValue<string>(), Does.StartWith("error"));
        Assert.That(body["checks"]!["redis"]!.GetValue<string>(), Is.EqualTo("ok"));
    }
}
