using System.Net;
using System.Text;
using JobQueue.Testing;
using NUnit.Framework;

namespace Jobs.Api.Tests;

/// <summary>
/// MAX_REQUEST_BODY_BYTES is enforced by Kestrel (AddServiceDefaults sets KestrelServerOptions.Limits), so this
/// fixture serves the API on real Kestrel (WebApplicationFactory.UseKestrel): the in-memory TestServer has no
/// body limit and would accept the body.
/// </summary>
public sealed class BodyLimitTests
{
    private string _connectionString = "";
    private JobsApiFactory _factory = null!;
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateMigratedAsync();
        _factory = new JobsApiFactory(_connectionString);
        _factory.UseKestrel(0);
        _factory.StartServer();
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

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    [Test]
    public async Task Enqueue_Answers413_ForABodyOverTheLimit_AndCreatesNothing()
    {
        var total = await TotalAsync();
        var big = "{\"type\":\"x\",\"payload\":{\"blob\":\"" + new string('a', JobsApiFactory.MaxBodyBytes) + "\"}}";

        using var response = await _client.PostAsync("/api/v1/jobs", new StringContent(big, Encoding.UTF8, "application/json"), Ct);
        var body = await Envelope.ReadAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("too large"));
        Assert.That(await TotalAsync(), Is.EqualTo(total), "nothing was created");
    }

    [Test]
    public async Task Enqueue_Accepts_ABodyJustUnderTheLimit()
    {
        var filler = JobsApiFactory.MaxBodyBytes - 100;
        var body = "{\"type\":\"x\",\"payload\":{\"blob\":\"" + new string('a', filler) + "\"}}";

        using var response = await _client.PostAsync("/api/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    private async Task<long> TotalAsync()
    {
        using var response = await _client.GetAsync("/api/v1/jobs?limit=1", Ct);
        return (await Envelope.ReadAsync(response))["meta"]!["total_count"]!.GetValue<long>();
    }
}
