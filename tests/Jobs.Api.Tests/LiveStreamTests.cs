using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Core.Accounts;
using JobQueue.Core.Events;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using Jobs.Api.Live;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StackExchange.Redis;
using static JobQueue.Testing.Polling;

namespace Jobs.Api.Tests;

/// <summary>
/// <c>GET /ws</c> on two Jobs.Api instances (real Kestrel: the in-memory test server has no back-pressure, so a slow
/// client could never be slow) sharing one Redis. Events are published on the event channel as the relay does:
/// an <see cref="EventBatch"/> as JSON is the contract between the relay and this consumer.
/// </summary>
public sealed class LiveStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private const int ClientBuffer = 32;

    private string _connectionString = "";
    private JobsApiFactory _a = null!;
    private JobsApiFactory _b = null!;
    private long _batchId;

    /// <summary>An account's tenant (its user id) and key.</summary>
    private string _tenant = "";
    private string _tenantKey = "";
    private string _tenantJwt = "";

    private IConnectionMultiplexer Redis => _a.Services.GetRequiredService<IConnectionMultiplexer>();

    private RedisKeys Keys => _a.Services.GetRequiredService<RedisKeys>();

    private static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateMigratedAsync();
        var prefix = TestRedisPrefix.New();
        var settings = new Dictionary<string, string>
        {
            ["WS_STATS_INTERVAL"] = "200ms",
            ["WS_CLIENT_BUFFER"] = ClientBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _a = new JobsApiFactory(_connectionString, redisPrefix: prefix, settings: settings);
        _b = new JobsApiFactory(_connectionString, redisPrefix: prefix, settings: settings);
        foreach (var factory in new[] { _a, _b })
        {
            factory.UseKestrel(0);
            factory.StartServer();
        }

        var key = ApiKeys.Generate();
        var created = await _a.Services.GetRequiredService<AccountStore>().UsersCreateWithKeyAsync(
            $"ws-{Guid.NewGuid():N}@example.com", "hash", new NewApiKey(Guid.CreateVersion7(), "default", ApiKeys.Hash(key), ApiKeys.Prefix(key)), DateTime.UtcNow, Ct);
        var (user, _) = created!.Value;
        _tenant = user.Id.ToString("D");
        _tenantKey = key;
        _tenantJwt = _a.Services.GetRequiredService<JwtIssuer>().Issue(user.Id, user.Email, user.TokenVersion).Token;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    /// <summary>The shutdown order that once broke this fixture's teardown: the Redis connection is gone before the reporter's last report.</summary>
    [Test]
    public async Task Shutdown_DoesNotThrow_WhenRedisIsDisposedBeforeTheLastClientCountReport()
    {
        await using var factory = new JobsApiFactory(_connectionString, settings: new Dictionary<string, string> { ["WS_STATS_INTERVAL"] = "200ms" });
        factory.UseKestrel(0);
        factory.StartServer();
        await factory.Services.GetRequiredService<IConnectionMultiplexer>().DisposeAsync();

        await Assert.DoesNotThrowAsync(async () => await factory.DisposeAsync());
    }

    [Test]
    public async Task Connect_IsRefusedWith401InTheEnvelope_WithoutCredentials()
    {
        using var http = new HttpClient { BaseAddress = HttpBase(_a) };
        using var response = await http.GetAsync("/ws", Ct);
        var body = await Envelope.ReadAsync(response);

        var refused = await LiveSocket.RefusalAsync(WsUri(_a));
        var wrongKey = await LiveSocket.RefusalAsync(WsUri(_a, "api_key=qly_00000000000000000000000000000000"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(Envelope.Error(body), Does.Contain("API key"));
            Assert.That(body["data"], Is.Null);
            Assert.That(refused, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrongKey, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
    }

    [TestCase("header X-API-Key")]
    [TestCase("header Bearer key")]
    [TestCase("header Bearer login token")]
    [TestCase("query api_key")]
    [TestCase("query token (login token)")]
    [TestCase("query token (key)")]
    public async Task Connect_IsAccepted_WithTheCredentialInAHeaderOrTheQuery(string how)
    {
        var (query, configure) = how switch
        {
            "header X-API-Key" => ("", (Action<ClientWebSocketOptions>)(o => o.SetRequestHeader("X-API-Key", _tenantKey))),
            "header Bearer key" => ("", o => o.SetRequestHeader("Authorization", "Bearer " + _tenantKey)),
            "header Bearer login token" => ("", o => o.SetRequestHeader("Authorization", "Bearer " + _tenantJwt)),
            "query api_key" => ("api_key=" + _tenantKey, null),
            "query token (login token)" => ("token=" + _tenantJwt, null),
            "query token (key)" => ("token=" + _tenantKey, null),
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };

        await using var socket = await LiveSocket.ConnectAsync(WsUri(_a, query), configure, cancellationToken: Ct);
        await PublishAsync(Event(_tenant, EventNames.JobCompleted));

        var frame = await socket.NextOfTypeAsync(EventNames.JobCompleted, Bound);
        Assert.That(frame["job_type"]!.GetValue<string>(), Is.EqualTo("echo"));
    }

    [Test]
    public async Task QueryCredentials_AreRefused_OnTheRestApi()
    {
        using var http = new HttpClient { BaseAddress = HttpBase(_a) };

        using var byKey = await http.GetAsync("/api/v1/jobs?api_key=" + _tenantKey, Ct);
        using var byToken = await http.GetAsync("/api/v1/jobs?token=" + _tenantJwt, Ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byKey.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(byToken.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
    }

    [Test]
    public async Task PlainGet_WithCredentials_Answers400SayingItIsAWebSocketEndpoint()
    {
        using var http = new HttpClient { BaseAddress = HttpBase(_a) };
        http.DefaultRequestHeaders.Add("X-API-Key", _tenantKey);

        using var response = await http.GetAsync("/ws", Ct);
        var body = await Envelope.ReadAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain("WebSocket"));
    }

    [Test]
    public async Task UnknownType_InTheFilter_Answers400()
    {
        var refused = await LiveSocket.RefusalAsync(WsUri(_a, $"api_key={_tenantKey}&types=job.completed,job.exploded"));

        Assert.That(refused, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Client_ReceivesItsTenantsEvents_InTheOriginalsFrameFormat_AndNoOtherTenants()
    {
        await using var tenant = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={_tenantKey}&types=job.failed,job.completed"), cancellationToken: Ct);
        await using var other = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={JobsApiFactory.ApiKey}&types=job.failed,job.completed"), cancellationToken: Ct);
        await using var admin = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={JobsApiFactory.AdminKey}&types=job.failed,job.completed"), cancellationToken: Ct);

        var mine = Event(_tenant, EventNames.JobFailed, worker: "w-1", error: "boom", retryAt: 1_700_000_001_000, durationMs: 12.5);
        var theirs = Event(Caller.DefaultTenant, EventNames.JobFailed, error: "secret of default");
        var mineLater = Event(_tenant, EventNames.JobCompleted);
        // One batch holding both tenants' events, then another: the tenant's second frame follows its first
        // directly, so the other tenant's event was not delivered in between (frames arrive in order).
        await PublishAsync(theirs, mine);
        await PublishAsync(mineLater);

        var first = await tenant.ReceiveAsync(Bound);
        var second = await tenant.ReceiveAsync(Bound);
        var otherFirst = await other.ReceiveAsync(Bound);
        var adminFrames = new[] { await admin.ReceiveAsync(Bound), await admin.ReceiveAsync(Bound), await admin.ReceiveAsync(Bound) };

        var expected = JsonNode.Parse($$"""
            {"type":"job.failed","job_id":"{{mine.JobId}}","job_type":"echo","worker_id":"w-1",
             "payload":{"job":{"id":"{{mine.JobId}}","type":"echo","queue_name":"default","priority":5,"status":"failed",
                               "attempts":1,"max_attempts":3,"worker_id":"w-1","error_message":"boom"},
                        "error":"boom","retry_at":1700000001000,"duration_ms":12.5},
             "ts":{{mine.Ts}}}
            """);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(JsonNode.DeepEquals(first, expected), Is.True, first?.ToJsonString());
            Assert.That(second?["job_id"]?.GetValue<string>(), Is.EqualTo(mineLater.JobId.ToString()));
            Assert.That(otherFirst?["job_id"]?.GetValue<string>(), Is.EqualTo(theirs.JobId.ToString()));
            Assert.That(adminFrames.Select(f => f?["job_id"]?.GetValue<string>()),
                Is.EqualTo(new[] { theirs.JobId, mine.JobId, mineLater.JobId }.Select(g => g.ToString())));
            Assert.That(tenant.Received.Concat(other.Received).Concat(adminFrames!).Select(f => f!.ToJsonString()), Has.None.Contains("owner"));
        }
    }

    [Test]
    public async Task Event_ReachesClientsOfBothInstances_ThroughRedis()
    {
        await using var onA = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={_tenantKey}&types=job.enqueued"), cancellationToken: Ct);
        await using var onB = await LiveSocket.ConnectAsync(WsUri(_b, $"api_key={_tenantKey}&types=job.enqueued"), cancellationToken: Ct);
        var e = Event(_tenant, EventNames.JobEnqueued);

        await PublishAsync(e);

        var id = e.JobId.ToString();
        await onA.NextAsync(f => f["job_id"]?.GetValue<string>() == id, Bound, "the event on instance A");
        await onB.NextAsync(f => f["job_id"]?.GetValue<string>() == id, Bound, "the event on instance B");
    }

    [Test]
    public async Task DuplicateBatch_IsDeliveredOnce()
    {
        await using var socket = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={_tenantKey}&types=job.started"), cancellationToken: Ct);
        var batch = new EventBatch(Interlocked.Increment(ref _batchId), [Event(_tenant, EventNames.JobStarted)]);
        var marker = Event(_tenant, EventNames.JobStarted);

        await PublishAsync(batch);
        await PublishAsync(batch);
        await PublishAsync(marker);
        await socket.NextAsync(f => f["job_id"]?.GetValue<string>() == marker.JobId.ToString(), Bound, "the marker");

        Assert.That(socket.Received.Select(f => f["job_id"]!.GetValue<string>()),
            Is.EqualTo(new[] { batch.Events[0].JobId.ToString(), marker.JobId.ToString() }));
    }

    [Test]
    public async Task SlowClient_IsDropped_WhileAFastClientReceivesEverything()
    {
        var hub = _a.Services.GetRequiredService<LiveHub>();
        var droppedBefore = hub.DroppedClients;
        var query = $"api_key={_tenantKey}&types=job.dead";
        await using var fast = await LiveSocket.ConnectAsync(WsUri(_a, query), cancellationToken: Ct);
        // The slow client never reads, and its socket takes almost nothing (a 4 KiB receive buffer, no autotuning):
        // the server's sends back up at once, then its queue of ClientBuffer frames fills.
        using var tinyBuffer = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await s.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(tinyBuffer);
        await using var slow = await LiveSocket.ConnectAsync(WsUri(_a, query), invoker: invoker, cancellationToken: Ct);
        await WaitUntil(() => hub.ClientCount >= 2, Bound, "both clients registered");

        // 4 KB frames, ten per batch; after each batch, wait until the fast client has it, so it is never behind.
        var bulk = new string('x', 4000);
        var published = new List<string>();
        for (var i = 0; i < 2000 && hub.DroppedClients == droppedBefore; i++)
        {
            var events = Enumerable.Range(0, 10).Select(_ => Event(_tenant, EventNames.JobDead, error: bulk)).ToArray();
            await PublishAsync(events);
            published.AddRange(events.Select(e => e.JobId.ToString()));
            var last = published[^1];
            await fast.NextAsync(f => f["job_id"]?.GetValue<string>() == last, Bound, $"event {published.Count}");
        }

        TestContext.Out.WriteLine($"dropped after {published.Count} frames");
        Assert.That(hub.DroppedClients, Is.EqualTo(droppedBefore + 1), $"the slow client was not dropped after {published.Count} frames");
        var after = Event(_tenant, EventNames.JobDead);
        await PublishAsync(after);
        published.Add(after.JobId.ToString());
        await fast.NextAsync(f => f["job_id"]?.GetValue<string>() == after.JobId.ToString(), Bound, "an event after the drop");

        // The slow client now reads what reached it: the connection ends (1008, or cut) before it had everything.
        var slowCount = 0;
        while (await slow.ReceiveAsync(Bound) is not null)
        {
            slowCount++;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fast.Received.Select(f => f["job_id"]!.GetValue<string>()), Is.EqualTo(published));
            Assert.That(slowCount, Is.LessThan(published.Count));
            Assert.That(slow.Socket.CloseStatus, Is.Null.Or.EqualTo(WebSocketCloseStatus.PolicyViolation));
        }

        await WaitUntil(() => hub.ClientCount == 1, Bound, "only the fast client left");
    }

    [Test]
    public async Task StatsUpdate_Arrives_WithTheCallersTenantFigures()
    {
        using var http = new HttpClient { BaseAddress = HttpBase(_a) };
        http.DefaultRequestHeaders.Add("X-API-Key", JobsApiFactory.ApiKey);
        using var enqueue = await http.PostAsync("/api/v1/jobs", new StringContent("""{"type":"echo"}""", Encoding.UTF8, "application/json"), Ct);
        Assert.That(enqueue.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        await using var other = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={JobsApiFactory.ApiKey}&types=stats.update"), cancellationToken: Ct);
        await using var tenant = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={_tenantKey}&types=stats.update"), cancellationToken: Ct);

        var otherStats = await other.NextOfTypeAsync(EventNames.StatsUpdate, Bound);
        var tenantStats = await tenant.NextOfTypeAsync(EventNames.StatsUpdate, Bound);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(otherStats["payload"]!["total_jobs"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(1));
            Assert.That(tenantStats["payload"]!["total_jobs"]!.GetValue<long>(), Is.Zero, "the account has no jobs");
            Assert.That(tenantStats["payload"]!["pending"], Is.Not.Null);
            Assert.That(tenantStats["ts"]!.GetValue<long>(), Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task WorkerHeartbeat_IsForwardedToEveryTenant()
    {
        await using var tenant = await LiveSocket.ConnectAsync(WsUri(_a, $"api_key={_tenantKey}&types=worker.heartbeat"), cancellationToken: Ct);
        await using var other = await LiveSocket.ConnectAsync(WsUri(_b, $"api_key={JobsApiFactory.ApiKey}&types=worker.heartbeat"), cancellationToken: Ct);
        var heartbeat = $$"""{"type":"worker.heartbeat","worker_id":"w-{{Guid.NewGuid():N}}","payload":{"status":"active","running":2,"concurrency":8,"queues":["default"],"jobs_processed":7},"ts":1}""";

        await Redis.GetSubscriber().PublishAsync(Keys.WorkerEventChannel, heartbeat);

        foreach (var socket in new[] { tenant, other })
        {
            var frame = await socket.NextOfTypeAsync(EventNames.WorkerHeartbeat, Bound);
            Assert.That(JsonNode.DeepEquals(frame, JsonNode.Parse(heartbeat)), Is.True, frame.ToJsonString());
        }
    }

    [Test]
    public async Task Metrics_ShowTheConnectedClients()
    {
        await using var socket = await LiveSocket.ConnectAsync(WsUri(_b, $"api_key={_tenantKey}"), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = HttpBase(_b) };

        var text = await http.GetStringAsync("/metrics", Ct);

        Assert.That(text, Does.Contain("jobqueue_ws_connections"));
        await WaitUntil(() => _b.Services.GetRequiredService<LiveHub>().ClientCount == 1, Bound, "one client on instance B");
    }

    private static LifecycleEvent Event(string owner, string type, string? worker = null, string? error = null, long? retryAt = null, double? durationMs = null) =>
        new(type, owner, Guid.CreateVersion7(), "echo", "default", 5, type["job.".Length..], Attempt: 1, MaxAttempts: 3, worker,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), error, retryAt, durationMs);

    private Task PublishAsync(params LifecycleEvent[] events) => PublishAsync(new EventBatch(Interlocked.Increment(ref _batchId), events));

    private async Task PublishAsync(EventBatch batch) =>
        await Redis.GetSubscriber().PublishAsync(Keys.EventChannel, JsonSerializer.SerializeToUtf8Bytes(batch));

    private static Uri HttpBase(JobsApiFactory factory) =>
        new(factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static Uri WsUri(JobsApiFactory factory, string query = "") =>
        new UriBuilder(HttpBase(factory)) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
}
