using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using JobQueue.Testing;
using NUnit.Framework;

namespace Jobs.Api.Tests;

/// <summary>A fixture with its own Jobs.Api on its own database; tests within it run one at a time.</summary>
public abstract class ApiFixture
{
    private string _connectionString = "";

    protected JobsApiFactory Factory { get; private set; } = null!;

    /// <summary>The tenant of API_KEY.</summary>
    protected HttpClient Client { get; private set; } = null!;

    /// <summary>The operator (ADMIN_KEY), who sees every tenant.</summary>
    protected HttpClient Admin { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        _connectionString = await TestSchema.CreateMigratedAsync();
        Factory = new JobsApiFactory(_connectionString);
        Client = Factory.CreateClient(JobsApiFactory.ApiKey);
        Admin = Factory.CreateClient(JobsApiFactory.AdminKey);
        // Starts the host, which applies the migrations before it answers.
        using var health = await Client.GetAsync("/health");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), await health.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        Client?.Dispose();
        Admin?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>POSTs one job and returns its data (asserting 201).</summary>
    protected async Task<JsonNode> EnqueueAsync(string json)
    {
        using var response = await Client.PostAsync("/api/v1/jobs", Json(json), Ct);
        var body = await Envelope.ReadAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        return body["data"]!;
    }

    /// <summary>The tenant's job count, as GET /api/v1/jobs reports it.</summary>
    protected async Task<long> TotalJobsAsync(HttpClient? client = null)
    {
        using var response = await (client ?? Client).GetAsync("/api/v1/jobs?limit=1", Ct);
        var body = await Envelope.ReadAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return body["meta"]!["total_count"]!.GetValue<long>();
    }

    protected async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string url, HttpContent? content = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await (client ?? Client).SendAsync(request, Ct);
        return (response.StatusCode, await Envelope.ReadAsync(response));
    }

    protected static string Id(JsonNode job) => job["id"]!.GetValue<string>();

    protected static JsonContent JsonOf<T>(T value) => JsonContent.Create(value);
}
