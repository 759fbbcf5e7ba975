using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using JobQueue.Testing;

namespace Api.Gateway.Tests;

/// <summary>
/// Bytes HttpClient will not send, written to the gateway on real Kestrel over a raw socket: requests Kestrel itself
/// rejects, header values that are not ASCII, and methods the read-only endpoints refuse. Every answer must be a 4xx
/// (or 505) with the JSON envelope. No downstream service is configured, so an /api request that passes the checks is
/// answered 503 by the proxy: a 503 here means the check let the request through.
/// </summary>
[NonParallelizable]
public sealed class RawRequestTests
{
    private string _connectionString = "";
    private GatewayFactory _factory = null!;
    private int _port;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        _factory = new GatewayFactory(_connectionString, TestInfrastructure.RedisConnectionString);
        _port = _factory.StartOnKestrel().Port;
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

    private static IEnumerable<TestCaseData> KestrelRejections()
    {
        yield return new TestCaseData("GARBAGE\r\n\r\n", 400, "malformed HTTP request").SetName("unparsable request line: 400");
        yield return new TestCaseData("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "malformed HTTP request").SetName("header without a colon: 400");
        yield return new TestCaseData("GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505, "HTTP version not supported").SetName("unknown HTTP version: 505");
        yield return new TestCaseData($"GET /{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n", 414, "too long").SetName("20 KB request line: 414");
        yield return new TestCaseData($"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40_000)}\r\n\r\n", 431, "too large").SetName("40 KB of headers: 431");
    }

    [TestCaseSource(nameof(KestrelRejections))]
    public async Task KestrelsOwnRejection_CarriesTheEnvelope(string request, int status, string messagePart)
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes(request));

        Assert.That(response.Status, Is.EqualTo(status), response.Head);
        Assert.That(response.Header("Content-Type"), Does.StartWith("application/json"));
        Assert.That(response.Error, Does.Contain(messagePart));
    }

    [Test]
    public async Task KeepAliveRequests_AndTheAppsOwnErrors_PassUnchanged()
    {
        const string request = "GET /api/nowhere HTTP/1.1\r\nHost: x\r\n\r\n";

        var (first, second) = await SendTwiceAsync(Encoding.ASCII.GetBytes(request));

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(404), first.Head);
            Assert.That(first.Error, Does.StartWith("no route for GET /api/nowhere"));
            Assert.That(second.Status, Is.EqualTo(404), "the second request on the same connection is served");
        });
    }

    [TestCase("User-Agent", 400, "header 'User-Agent' must be ASCII")]
    [TestCase("X-Custom", 400, "header 'X-Custom' must be ASCII")]
    [TestCase("X-API-Key", 401, "invalid credentials")]
    [TestCase("Authorization", 401, "invalid credentials")]
    public async Task HeaderValueThatIsNotAscii_IsAClientError_NotAnOutage(string header, int status, string messagePart)
    {
        var response = await SendAsync([.. Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\n{header}: "), .. "café"u8, .. "\r\nConnection: close\r\n\r\n"u8]);

        Assert.That(response.Status, Is.EqualTo(status), response.Head);
        Assert.That(response.Error, Does.StartWith(messagePart));
    }

    [Test]
    public async Task RequestIdThatIsNotAscii_IsReplaced_NotEchoed()
    {
        var response = await SendAsync([.. "GET /alive HTTP/1.1\r\nHost: x\r\nX-Request-Id: "u8, .. "café"u8, .. "\r\nConnection: close\r\n\r\n"u8]);

        // The id header is checked too, but only after it was replaced: the answer names a fresh id, not the sent one.
        Assert.That(response.Status, Is.EqualTo(400), response.Head);
        Assert.That(response.Header("X-Request-Id"), Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    public async Task RequestIdOfVisibleAscii_IsEchoed()
    {
        var response = await SendAsync("GET /alive HTTP/1.1\r\nHost: x\r\nX-Request-Id: my-id.42\r\nConnection: close\r\n\r\n"u8.ToArray());

        Assert.That(response.Status, Is.EqualTo(200), response.Head);
        Assert.That(response.Header("X-Request-Id"), Is.EqualTo("my-id.42"));
    }

    [TestCase("POST", "/health")]
    [TestCase("DELETE", "/health")]
    [TestCase("PUT", "/alive")]
    [TestCase("POST", "/alive")]
    [TestCase("DELETE", "/metrics")]
    public async Task ReadOnlyEndpoint_RefusesOtherMethods(string method, string path)
    {
        var response = await SendAsync(Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));

        Assert.That(response.Status, Is.EqualTo(405), response.Head);
        Assert.That(response.Header("Allow"), Is.EqualTo("GET, HEAD"));
        Assert.That(response.Error, Does.Contain($"not allowed on {path}"));
    }

    private async Task<RawResponse> SendAsync(byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        return await RawResponse.ReadAsync(stream);
    }

    private async Task<(RawResponse, RawResponse)> SendTwiceAsync(byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        var first = await RawResponse.ReadAsync(stream);
        await stream.WriteAsync(request);
        return (first, await RawResponse.ReadAsync(stream));
    }

    /// <summary>One HTTP/1.1 response read off a socket: the head, then exactly Content-Length bytes of body.</summary>
    private sealed record RawResponse(int Status, string Head, string Body)
    {
        public string? Header(string name) =>
            Head.Split("\r\n").Skip(1).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();

        public string Error
        {
            get
            {
                using var doc = JsonDocument.Parse(Body);
                return doc.RootElement.GetProperty("error").GetString() ?? "";
            }
        }

        public static async Task<RawResponse> ReadAsync(NetworkStream stream)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var received = new List<byte>();
            var buffer = new byte[8192];
            int headEnd;
            while ((headEnd = IndexOfHeadEnd(received)) < 0)
            {
                var n = await stream.ReadAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    throw new IOException($"connection closed before a response head; got: {Encoding.ASCII.GetString([.. received])}");
                }

                received.AddRange(buffer.AsSpan(0, n));
            }

            var head = Encoding.ASCII.GetString([.. received.Take(headEnd)]);
            var status = int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
            var response = new RawResponse(status, head, "");
            var chunked = response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
            var length = int.Parse(response.Header("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            bool Complete() => chunked
                ? Encoding.ASCII.GetString([.. received.Skip(headEnd + 4)]).Contains("0\r\n\r\n", StringComparison.Ordinal)
                : received.Count >= headEnd + 4 + length;
            while (!Complete())
            {
                var n = await stream.ReadAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n));
            }

            var rest = received.Skip(headEnd + 4).ToArray();
            return response with { Body = chunked ? Unchunk(rest) : Encoding.UTF8.GetString(rest.AsSpan(0, Math.Min(length, rest.Length))) };
        }

        private static string Unchunk(byte[] bytes)
        {
            var body = new List<byte>();
            var at = 0;
            while (true)
            {
                var lineEnd = bytes.AsSpan(at).IndexOf("\r\n"u8);
                var size = Convert.ToInt32(Encoding.ASCII.GetString(bytes, at, lineEnd), 16);
                if (size == 0)
                {
                    return Encoding.UTF8.GetString([.. body]);
                }

                body.AddRange(bytes.AsSpan(at + lineEnd + 2, size));
                at += lineEnd + 2 + size + 2;
            }
        }

        private static int IndexOfHeadEnd(List<byte> bytes)
        {
            for (var i = 0; i + 3 < bytes.Count; i++)
            {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
