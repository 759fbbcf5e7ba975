using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using JobQueue.Core.Configuration;

namespace Worker.Service.Handlers;

/// <summary><c>noop</c>: does nothing (benchmarks, smoke tests).</summary>
public sealed class NoopHandler : IJobHandler
{
    public string Type => "noop";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary><c>echo</c>: the result is the payload.</summary>
public sealed class EchoHandler : IJobHandler
{
    public string Type => "echo";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct) => Task.FromResult<string?>(context.Payload);
}

/// <summary><c>sleep</c>: waits <c>{"ms": N}</c>, honouring cancellation.</summary>
public sealed class SleepHandler(TimeProvider time) : IJobHandler
{
    public string Type => "sleep";

    public async Task<string?> HandleAsync(JobContext context, CancellationToken ct)
    {
        var ms = context.PayloadElement.TryGetProperty("ms", out var v) && v.TryGetInt32(out var n) && n >= 0
            ? n
            : throw new ArgumentException("sleep needs a payload {\"ms\": N} with N >= 0");
        await Task.Delay(TimeSpan.FromMilliseconds(ms), time, ct);
        return $"{{\"slept_ms\":{ms}}}";
    }
}

/// <summary><c>fail</c>: always throws (to try retries and the DLQ).</summary>
public sealed class FailHandler : IJobHandler
{
    public string Type => "fail";

    public Task<string?> HandleAsync(JobContext context, CancellationToken ct) =>
        throw new InvalidOperationException(
            context.PayloadElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : "fail handler always fails");
}

/// <summary>
/// <c>http.request</c>: calls <c>{method, url, headers, body}</c>; a non-2xx answer fails the attempt; the result is
/// <c>{status, headers, body}</c>. Loopback, private and link-local targets are refused unless allowed
/// (<c>HTTP_REQUEST_ALLOW_PRIVATE</c>, or Development), so a tenant cannot reach the operator's network.
/// </summary>
public sealed class HttpRequestHandler(IHttpClientFactory factory, JobQueueSettings settings, IHostEnvironment env) : IJobHandler
{
    public const string ClientName = "http.request";

    public string Type => "http.request";

    public async Task<string?> HandleAsync(JobContext context, CancellationToken ct)
    {
        var p = context.PayloadElement;
        if (!p.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String || !Uri.TryCreate(u.GetString(), UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("http.request needs an absolute http(s) 'url'");
        }

        if (!settings.HttpRequestAllowPrivate && !env.IsDevelopment())
        {
            foreach (var ip in await Dns.GetHostAddressesAsync(url.Host, ct))
            {
                if (IsPrivate(ip))
                {
                    throw new InvalidOperationException($"http.request to {url.Host} ({ip}) refused: private, loopback and link-local addresses are not allowed");
                }
            }
        }

        var method = p.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? new HttpMethod(m.GetString()!.ToUpperInvariant()) : HttpMethod.Get;
        using var request = new HttpRequestMessage(method, url);
        if (p.TryGetProperty("body", out var body) && body.ValueKind != JsonValueKind.Null)
        {
            request.Content = body.ValueKind == JsonValueKind.String
                ? new StringContent(body.GetString()!, Encoding.UTF8, "text/plain")
                : new StringContent(body.GetRawText(), Encoding.UTF8, "application/json");
        }

        if (p.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object)
        {
            foreach (var h in headers.EnumerateObject())
            {
                var value = h.Value.ToString();
                if (!request.Headers.TryAddWithoutValidation(h.Name, value))
                {
                    request.Content?.Headers.TryAddWithoutValidation(h.Name, value);
                }
            }
        }

        using var response = await factory.CreateClient(ClientName).SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {url} answered {(int)response.StatusCode}: {(text.Length > 500 ? text[..500] : text)}");
        }

        object? bodyValue;
        try
        {
            bodyValue = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            bodyValue = text;
        }

        return JsonSerializer.Serialize(new
        {
            status = (int)response.StatusCode,
            headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(", ", h.Value)),
            body = bodyValue,
        });
    }

    private static bool IsPrivate(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal)
        {
            return true;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        var b = ip.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127);
    }
}
