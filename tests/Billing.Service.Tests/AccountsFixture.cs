extern alias JobsApi;

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using JobQueue.Storage.Migrations;
using JobQueue.Testing;
using Npgsql;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>A registered account as the tests use it.</summary>
public sealed record Account(Guid UserId, string Email, string Password, string Token, string Key, Guid KeyId);

/// <summary>
/// Billing.Service and Jobs.Api in this process, on one fresh database and one Redis key prefix, sharing JWT_SECRET,
/// as the AppHost runs them. Jobs.Api has a static API_KEY, so a request without credentials is refused there.
/// </summary>
public abstract class AccountsFixture
{
    public const string StaticKey = "static-test-key";

    /// <summary>The operator's key (sees every tenant).</summary>
    public const string AdminKey = "admin-test-key";

    private string _connectionString = "";
    private readonly List<HttpClient> _clients = [];

    protected static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    protected ServiceFactory<Program> Billing { get; private set; } = null!;

    protected ServiceFactory<JobsApi::Program> Jobs { get; private set; } = null!;

    protected NpgsqlDataSource Db { get; private set; } = null!;

    public static string NewJwtSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [OneTimeSetUp]
    public async Task StartServicesAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        Db = NpgsqlDataSource.Create(_connectionString);
        await Migrator.MigrateAsync(Db, Ct);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = _connectionString,
            ["ConnectionStrings:redis"] = TestInfrastructure.RedisConnectionString,
            ["REDIS_PREFIX"] = TestRedisPrefix.New(),
            ["JWT_SECRET"] = NewJwtSecret(),
            ["API_KEY"] = StaticKey,
            ["ADMIN_KEY"] = AdminKey,
        };
        await ConfigureAsync(settings);
        Billing = new ServiceFactory<Program>("Development", settings);
        Jobs = new ServiceFactory<JobsApi::Program>("Development", settings);
        foreach (var client in new[] { Billing.CreateClient(), Jobs.CreateClient() })
        {
            using var health = await client.GetAsync("/health", Ct);
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), await health.Content.ReadAsStringAsync(Ct));
            client.Dispose();
        }
    }

    /// <summary>Adds or changes the services' settings before they start (e.g. Stripe's).</summary>
    protected virtual Task ConfigureAsync(Dictionary<string, string?> settings) => Task.CompletedTask;

    [OneTimeTearDown]
    public async Task StopServicesAsync()
    {
        _clients.ForEach(c => c.Dispose());
        if (Billing is not null)
        {
            await Billing.DisposeAsync();
        }

        if (Jobs is not null)
        {
            await Jobs.DisposeAsync();
        }

        if (Db is not null)
        {
            await Db.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    /// <summary>A client of <paramref name="factory"/> sending the account key, or the login token, or nothing.</summary>
    protected HttpClient Client<T>(ServiceFactory<T> factory, string? key = null, string? bearer = null)
        where T : class
    {
        var client = factory.CreateClient(key);
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        _clients.Add(client);
        return client;
    }

    protected static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = json is null ? null : Json(json) };
        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, await Envelope.ReadAsync(response));
    }

    protected Task<(HttpStatusCode Status, JsonNode Body)> PostBillingAsync(string url, string json) =>
        SendAsync(Client(Billing), HttpMethod.Post, url, json);

    /// <summary>Registers a new account (asserting 201).</summary>
    protected async Task<Account> RegisterAsync(string? email = null, string password = "correct horse battery")
    {
        email ??= NewEmail();
        var (status, body) = await PostBillingAsync("/auth/register", $$"""{"email":"{{email}}","password":"{{password}}"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var data = body["data"]!;
        return new Account(
            Guid.Parse(data["user"]!["id"]!.GetValue<string>()), data["user"]!["email"]!.GetValue<string>(), password,
            data["token"]!.GetValue<string>(), data["api_key"]!["key"]!.GetValue<string>(), Guid.Parse(data["api_key"]!["id"]!.GetValue<string>()));
    }

    /// <summary>Enqueues a job on Jobs.Api (asserting 201) and returns its id.</summary>
    protected static async Task<string> EnqueueAsync(HttpClient jobs, string type = "noop")
    {
        var (status, body) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs", $$"""{"type":"{{type}}"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        return body["data"]!["id"]!.GetValue<string>();
    }

    /// <summary>The ids of the jobs the client sees.</summary>
    protected static async Task<List<string>> JobIdsAsync(HttpClient jobs)
    {
        var (status, body) = await SendAsync(jobs, HttpMethod.Get, "/api/v1/jobs?limit=100");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return body["data"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()).ToList();
    }
}
