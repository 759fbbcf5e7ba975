using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// Per-caller rate limits at the gateway, through the whole system. Buckets refill slowly (one token per 10 s) so a
/// burst is exhausted by a few quick requests whatever the machine's speed; each test uses its own key or its own
/// client address (the gateway sees 127.0.0.x as separate clients), so it starts from a full bucket.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RateLimitTests
{
    private const int Burst = 3;
    private const int AuthBurst = 2;
    private const string AdminKey = "test-admin-key";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions
        {
            Workers = 1,
            Environment = new Dictionary<string, string>
            {
                ["ADMIN_KEY"] = AdminKey,
                ["RATE_LIMIT_RPS"] = "0.1",
                ["RATE_LIMIT_BURST"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RATE_LIMIT_AUTH_RPS"] = "0.1",
                ["RATE_LIMIT_AUTH_BURST"] = AuthBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        });

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sut is not null)
        {
            await _sut.DisposeAsync();
        }
    }

    [Test]
    public async Task ApiKey_GetsHeaders_ThenA429WithRetryAfterAndEnvelope_AndTheAdminKeyIsNotAffected()
    {
        var first = await _sut.Client.GetAsync("/api/v1/stats");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        AssertLimitHeaders(first, Burst, remaining: Burst - 1);

        var refused = await UntilRefusedAsync(() => _sut.Client.GetAsync("/api/v1/stats"));

        var body = await refused.ErrorEnvelopeAsync(HttpStatusCode.TooManyRequests);
        Assert.That(body.GetProperty("error").GetString(), Does.Contain("rate limit exceeded"));
        Assert.That(refused.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        AssertLimitHeaders(refused, Burst, remaining: 0);
        await WaitUntil(async () => (await _sut.Client.GetStringAsync("/metrics")).Contains("jobqueue_gateway_rate_limited_total", StringComparison.Ordinal), Bound, "the gateway counts its 429s on /metrics");

        using var admin = _sut.CreateClient(AdminKey);
        var adminFirst = await admin.GetAsync("/api/v1/stats");
        Assert.That(adminFirst.StatusCode, Is.EqualTo(HttpStatusCode.OK), await adminFirst.Content.ReadAsStringAsync());
        AssertLimitHeaders(adminFirst, Burst, remaining: Burst - 1);
    }

    [Test]
    public async Task Unauthenticated_IsLimitedPerAddress_AndStillAnsweredByTheService()
    {
        using var a = ClientFrom(IPAddress.Parse("127.0.0.2"), apiKey: null);
        using var b = ClientFrom(IPAddress.Parse("127.0.0.3"), apiKey: null);

        var firstOfA = await a.GetAsync("/api/v1/stats");
        await firstOfA.ErrorEnvelopeAsync(HttpStatusCode.Unauthorized); // the gateway limits; the service says who may not pass
        AssertLimitHeaders(firstOfA, Burst, remaining: Burst - 1);
        await UntilRefusedAsync(() => a.GetAsync("/api/v1/stats"));

        var firstOfB = await b.GetAsync("/api/v1/stats");
        await firstOfB.ErrorEnvelopeAsync(HttpStatusCode.Unauthorized);
        AssertLimitHeaders(firstOfB, Burst, remaining: Burst - 1);
    }

    [Test]
    public async Task AuthPaths_HaveTheStricterPerAddressLimit_OnTheirOwnBucket()
    {
        using var a = ClientFrom(IPAddress.Parse("127.0.0.4"), apiKey: null);
        using var b = ClientFrom(IPAddress.Parse("127.0.0.5"), apiKey: null);
        Task<HttpResponseMessage> Login(HttpClient c) => c.PostAsJsonAsync("/auth/login", new { email = "a@example.com", password = "wrong" });

        var first = await Login(a);
        Assert.That(first.StatusCode, Is.Not.EqualTo(HttpStatusCode.TooManyRequests));
        AssertLimitHeaders(first, AuthBurst, remaining: AuthBurst - 1);
        var refused = await UntilRefusedAsync(() => Login(a), most: AuthBurst + 2);
        await refused.ErrorEnvelopeAsync(HttpStatusCode.TooManyRequests);

        var apiFromA = await a.GetAsync("/api/v1/stats");
        Assert.That(apiFromA.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the API bucket of the address is not the /auth one");
        AssertLimitHeaders(apiFromA, Burst, remaining: Burst - 1);
        var otherAddress = await Login(b);
        AssertLimitHeaders(otherAddress, AuthBurst, remaining: AuthBurst - 1);
    }

    [Test]
    public async Task HealthAliveMetricsAndDashboard_AreNotLimited()
    {
        using var a = ClientFrom(IPAddress.Parse("127.0.0.6"), apiKey: null);
        foreach (var path in new[] { "/health", "/alive", "/metrics", "/" })
        {
            for (var i = 0; i < Burst + 2; i++)
            {
                using var response = await a.GetAsync(path);
                Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.TooManyRequests), path);
                Assert.That(response.Headers.Contains("X-RateLimit-Limit"), Is.False, path);
            }
        }
    }

    [Test]
    public async Task Limits_FailOpen_WhileRedisIsDown_AndComeBackWithIt()
    {
        using var a = ClientFrom(IPAddress.Parse("127.0.0.7"), apiKey: null);
        await UntilRefusedAsync(() => a.GetAsync("/api/v1/stats"));

        await _sut.StopRedisAsync();
        try
        {
            using var duringOutage = await a.GetAsync("/api/v1/stats");
            Assert.That(duringOutage.StatusCode, Is.Not.EqualTo(HttpStatusCode.TooManyRequests), "an exhausted bucket does not refuse while Redis is down");
            Assert.That(duringOutage.Headers.Contains("X-RateLimit-Limit"), Is.False, "no decision, so no limit headers");
            await _sut.WaitForLogAsync("Rate limiting is failing open", Bound);
            await WaitUntil(async () => (await a.GetStringAsync("/metrics")).Contains("jobqueue_gateway_rate_limit_fail_open_total", StringComparison.Ordinal), Bound, "the gateway counts requests let through unlimited");
        }
        finally
        {
            await _sut.StartRedisAsync();
        }

        // Redis comes back empty: the bucket starts full again once the gateway has reconnected.
        await WaitUntil(async () =>
        {
            using var r = await a.GetAsync("/api/v1/stats");
            return r.Headers.Contains("X-RateLimit-Limit");
        }, Bound, "the gateway limits again after Redis is back");
    }

    /// <summary>Repeats <paramref name="send"/> until a 429 (at most <paramref name="most"/> times); returns the 429.</summary>
    private static async Task<HttpResponseMessage> UntilRefusedAsync(Func<Task<HttpResponseMessage>> send, int most = Burst + 3)
    {
        var statuses = new List<int>();
        for (var i = 0; i < most; i++)
        {
            var response = await send();
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return response;
            }

            response.Dispose();
        }

        Assert.Fail($"no 429 after {most} requests: {string.Join(", ", statuses)}");
        return null!;
    }

    private static void AssertLimitHeaders(HttpResponseMessage response, int limit, int remaining)
    {
        string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Header("X-RateLimit-Limit"), Is.EqualTo(limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(Header("X-RateLimit-Remaining"), Is.EqualTo(remaining.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(long.TryParse(Header("X-RateLimit-Reset"), out var reset) && reset >= 1, Is.True, $"X-RateLimit-Reset '{Header("X-RateLimit-Reset")}' is whole seconds until the bucket is full");
        }
    }

    /// <summary>A client of the gateway whose connections come from <paramref name="local"/> (any 127.0.0.x is this host on Linux).</summary>
    private HttpClient ClientFrom(IPAddress local, string? apiKey)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(_sut.GatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        }

        return client;
    }
}
