using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Core.Events;
using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using JobQueue.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;
using StackExchange.Redis;

namespace Webhook.Dispatcher.Tests;

/// <summary>
/// Webhook.Dispatcher in process on real Postgres and Redis with its own database, configured by
/// <paramref name="settings"/> (WEBHOOK_*), called by the tenant of <see cref="ApiKey"/> (<c>default</c>) or the
/// operator of <see cref="AdminKey"/> (whose own webhooks belong to the tenant <c>admin</c>).
/// </summary>
public sealed class DispatcherFactory(string postgresConnectionString, IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    public const string ApiKey = "k1";
    public const string AdminKey = "admin1";

    public string RedisPrefix { get; } = TestRedisPrefix.New();

    /// <summary>This dispatcher's Data Protection key ring, unless <c>WEBHOOK_SECRET_KEYS_DIR</c> is among the settings.</summary>
    public string SecretKeysDirectory { get; } = settings.TryGetValue("WEBHOOK_SECRET_KEYS_DIR", out var dir)
        ? dir
        : Path.Combine(Path.GetTempPath(), "jobqueue-test-keys-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:postgres", postgresConnectionString);
        builder.UseSetting("ConnectionStrings:redis", TestInfrastructure.RedisConnectionString);
        builder.UseSetting("REDIS_PREFIX", RedisPrefix);
        builder.UseSetting("API_KEY", ApiKey);
        builder.UseSetting("ADMIN_KEY", AdminKey);
        builder.UseSetting("WEBHOOK_SECRET_KEYS_DIR", SecretKeysDirectory);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        return client;
    }
}

/// <summary>A fixture with its own database, a dispatcher on it, a tenant and an admin client, and a receiver.</summary>
public abstract class DispatcherFixture(IReadOnlyDictionary<string, string> settings)
{
    private string _connectionString = "";

    protected string ConnectionString => _connectionString;
    private readonly ConcurrentDictionary<string, long> _outcomes = new();
    private MeterListener? _listener;

    protected DispatcherFactory Factory { get; private set; } = null!;
    protected HttpClient Tenant { get; private set; } = null!;
    protected HttpClient Admin { get; private set; } = null!;
    protected WebhookReceiver Receiver { get; private set; } = null!;
    protected NpgsqlDataSource DataSource { get; private set; } = null!;
    protected WebhookStore Store => Factory.Services.GetRequiredService<WebhookStore>();

    protected static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    /// <summary>Fast delivery settings: retries 100 ms apart, 1 s timeout, 3 attempts, disabled after 2 given up.</summary>
    protected static readonly IReadOnlyDictionary<string, string> FastDeliverySettings = new Dictionary<string, string>
    {
        ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "loopback",
        ["WEBHOOK_RETRY_BASE_DELAY"] = "100ms",
        ["WEBHOOK_RETRY_MAX_DELAY"] = "200ms",
        ["WEBHOOK_TIMEOUT"] = "1s",
        ["WEBHOOK_LEASE"] = "3s",
        ["WEBHOOK_MAX_ATTEMPTS"] = "3",
        ["WEBHOOK_DISABLE_AFTER"] = "2",
        ["WEBHOOK_POLL_INTERVAL"] = "500ms",
    };

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        DataSource = NpgsqlDataSource.Create(_connectionString);
        // In the system Jobs.Api applies the schema before the dispatcher starts; here we do.
        await Migrator.MigrateAsync(DataSource, CancellationToken.None);
        Receiver = await WebhookReceiver.StartAsync();
        Factory = new DispatcherFactory(_connectionString, settings);
        var scope = Factory.Services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == scope && instrument.Name == "jobqueue.webhook.deliveries")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && tag.Value is string o)
                {
                    _outcomes.AddOrUpdate(o, value, (_, n) => n + value);
                }
            }
        });
        _listener.Start();
        Tenant = Factory.CreateClient(DispatcherFactory.ApiKey);
        Admin = Factory.CreateClient(DispatcherFactory.AdminKey);
        using var health = await Tenant.GetAsync("/health");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), await health.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _listener?.Dispose();
        Tenant?.Dispose();
        Admin?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }

        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    protected static string UniquePath() => "hook-" + Guid.NewGuid().ToString("N")[..12];

    protected static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, await Envelope.ReadAsync(response));
    }

    /// <summary>Subscribes through the API; returns the created webhook (with its generated secret when none was given).</summary>
    protected static async Task<JsonNode> SubscribeAsync(HttpClient client, string json)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/v1/webhooks", json);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        return body["data"]!;
    }

    /// <summary>
    /// Waits until this fixture's dispatcher has counted a delivery with <paramref name="outcome"/> on
    /// <c>jobqueue.webhook.deliveries</c>. Read with a listener on this host's meter (its <see cref="IMeterFactory"/>
    /// scope), not from /metrics: the fixtures' hosts share one process, and an OpenTelemetry provider picks up every
    /// meter of that name in the process, so each host's /metrics would mix the others' counts.
    /// </summary>
    protected Task WaitForOutcomeMetricAsync(string outcome) =>
        Polling.WaitUntil(() => _outcomes.ContainsKey(outcome), TimeSpan.FromSeconds(30), $"a {outcome} delivery is counted", Ct);

    /// <summary>A delivery of <paramref name="e"/> for <paramref name="webhookId"/>, inserted as the relay does, and the wake-up it publishes.</summary>
    protected async Task<Guid> RelayAsync(Guid webhookId, LifecycleEvent e)
    {
        var id = Guid.NewGuid();
        var now = PostgresTime.Truncate(DateTime.UtcNow);
        await Store.DeliveriesInsertAsync(new NewDelivery(id, webhookId, e.Owner, "1." + id.ToString("N"), e.Event, e.JobId,
            JsonSerializer.Serialize(e), e.TraceParent, now, now), Ct);
        var redis = Factory.Services.GetRequiredService<IConnectionMultiplexer>();
        await redis.GetSubscriber().PublishAsync(Factory.Services.GetRequiredService<RedisKeys>().WebhookWakeChannel, "1");
        return id;
    }

    protected static Guid Id(JsonNode webhook) => Guid.Parse(webhook["id"]!.GetValue<string>());
}
