using System.Globalization;
using System.Net;
using System.Net.Sockets;
using JobQueue.Testing;

namespace Api.Gateway.Tests;

/// <summary>
/// Behind a proxy: the gateway on real Kestrel, with rate limits on and <c>TRUSTED_PROXIES</c> naming one address
/// (127.0.0.2) and one network (127.0.1.0/24). Clients connect from distinct 127.0.0.x addresses (all this host on
/// Linux) and read which bucket they drew from in <c>X-RateLimit-Remaining</c>: a fresh bucket answers burst − 1.
/// The bucket refills one token per 100 s, so nothing refills during a test. <c>/auth/*</c> is always limited per
/// client address, so these requests are limited by address whatever the credentials; with no billing service
/// configured they are then answered 503, which does not matter here.
/// </summary>
[NonParallelizable]
public sealed class ForwardedForTests
{
    private const int Burst = 10;
    private string _connectionString = "";
    private GatewayFactory _factory = null!;
    private Uri _gateway = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        _factory = new GatewayFactory(_connectionString, TestInfrastructure.RedisConnectionString, new Dictionary<string, string>
        {
            ["RATE_LIMIT_RPS"] = "0.01",
            ["RATE_LIMIT_AUTH_RPS"] = "0.01",
            ["RATE_LIMIT_AUTH_BURST"] = Burst.ToString(CultureInfo.InvariantCulture),
            ["TRUSTED_PROXIES"] = "127.0.0.2, 127.0.1.0/24",
        });
        _gateway = _factory.StartOnKestrel();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
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
    public async Task SpoofedForwardedFor_FromAnUntrustedPeer_DoesNotChangeTheBucket()
    {
        using var client = ClientFrom("127.0.0.3");

        var remaining = new[] { await RemainingAsync(client, "198.51.100.1"), await RemainingAsync(client, "198.51.100.2"), await RemainingAsync(client, null) };

        Assert.That(remaining, Is.EqualTo(new[] { Burst - 1, Burst - 2, Burst - 3 }), "one bucket: the TCP peer's");
    }

    [Test]
    public async Task ForwardedFor_FromATrustedProxy_IsTheClientsBucket()
    {
        using var client = ClientFrom("127.0.0.2");

        var remaining = new[] { await RemainingAsync(client, "192.0.2.1"), await RemainingAsync(client, "192.0.2.2"), await RemainingAsync(client, "192.0.2.1") };

        Assert.That(remaining, Is.EqualTo(new[] { Burst - 1, Burst - 1, Burst - 2 }), "one bucket per forwarded client");
    }

    [Test]
    public async Task ForwardedFor_FromATrustedNetwork_IsTheClientsBucket_AndWhatTheClientPrependsIsIgnored()
    {
        using var client = ClientFrom("127.0.1.5");

        // The proxy appends the address it saw; the entries before it are whatever the client sent, and 192.0.2.3 is
        // not a trusted proxy whose word counts.
        var remaining = new[] { await RemainingAsync(client, "1.1.1.1, 192.0.2.3"), await RemainingAsync(client, "2.2.2.2, 192.0.2.3") };

        Assert.That(remaining, Is.EqualTo(new[] { Burst - 1, Burst - 2 }), "one bucket: 192.0.2.3's");
    }

    [Test]
    public async Task IPv6Clients_InOneSlash64_ShareABucket()
    {
        using var client = ClientFrom("127.0.0.2");

        var remaining = new[]
        {
            await RemainingAsync(client, "2001:db8:1:2::1"), await RemainingAsync(client, "2001:db8:1:2:ffff:ffff:ffff:ffff"), await RemainingAsync(client, "2001:db8:1:3::1"),
        };

        Assert.That(remaining, Is.EqualTo(new[] { Burst - 1, Burst - 2, Burst - 1 }), "2001:db8:1:2::/64 is one bucket, 2001:db8:1:3::/64 another");
    }

    private static async Task<int> RemainingAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = new StringContent("{}") };
        if (forwardedFor is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        using var response = await client.SendAsync(request);
        Assert.That(response.Headers.TryGetValues("X-RateLimit-Remaining", out var values), Is.True, $"{(int)response.StatusCode} without X-RateLimit-Remaining");
        return int.Parse(values!.Single(), CultureInfo.InvariantCulture);
    }

    /// <summary>A client of the gateway whose connections come from <paramref name="local"/>.</summary>
    private HttpClient ClientFrom(string local)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = _gateway, Timeout = TimeSpan.FromSeconds(30) };
    }
}
