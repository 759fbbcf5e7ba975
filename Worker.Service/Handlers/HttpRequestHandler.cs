using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using JobQueue.Core.Configuration;
using JobQueue.Core.Net;
using JobQueue.Core.Validation;

namespace Worker.Service.Handlers;

/// <summary>
/// <c>http.request</c>: calls <c>{method, url, headers, body}</c> (body: any JSON, sent as application/json, or a
/// string, sent as text/plain unless the headers say otherwise). A non-2xx answer fails the attempt with the status
/// in the message; the result is <c>{status, headers, body}</c> with the body as JSON when it parses, else a string.
/// Addresses that are not globally reachable (the IANA special-purpose registries: loopback, private, link-local,
/// documentation, …) are refused unless <c>HTTP_REQUEST_ALLOW_PRIVATE</c> is set or the host
/// runs in Development, so a tenant cannot reach the operator's network. The check runs on the addresses actually
/// connected to (<see cref="OutboundAddressPolicy.ConnectPublicOnlyAsync"/>), so DNS rebinding and redirects to an
/// internal address are refused too; the early check here only gives a clearer message.
/// </summary>
public sealed class HttpRequestHandler(IHttpClientFactory factory, JobQueueSettings settings, IHostEnvironment env) : IJobHandler
{
    public const string ClientName = "http.request";

    public string Type => "http.request";

    public async Task<string?> HandleAsync(JobContext context, CancellationToken ct)
    {
        var p = context.PayloadElement;
        if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(u.GetString(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("http.request needs an absolute http(s) 'url'");
        }

        if (!OutboundAddressPolicy.AllowPrivate(settings, env.IsDevelopment()))
        {
            var addresses = IPAddress.TryParse(url.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(url.IdnHost, ct);
            if (addresses.FirstOrDefault(ip => !OutboundAddressPolicy.PublicOnly.Allows(ip)) is { } ip)
            {
                throw new InvalidOperationException($"http.request to {url.Host} ({ip}) refused: {SpecialPurposeAddresses.Refusal(ip)}");
            }
        }

        var method = p.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } verb
            ? new HttpMethod(verb.ToUpperInvariant())
            : HttpMethod.Get;
        using var request = new HttpRequestMessage(method, url);
        if (p.TryGetProperty("body", out var body) && body.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            request.Content = body.ValueKind == JsonValueKind.String
                ? new StringContent(body.GetString()!, Encoding.UTF8, "text/plain")
                : new StringContent(body.GetRawText(), Encoding.UTF8, "application/json");
        }

        if (p.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object)
        {
            foreach (var h in headers.EnumerateObject())
            {
                var value = h.Value.ValueKind == JsonValueKind.String ? h.Value.GetString()! : h.Value.GetRawText();
                if (request.Headers.TryAddWithoutValidation(h.Name, value))
                {
                    continue;
                }

                if (request.Content is { } content)
                {
                    content.Headers.Remove(h.Name); // the caller's Content-Type replaces ours rather than adding a second
                    content.Headers.TryAddWithoutValidation(h.Name, value);
                }
            }
        }

        using var response = await factory.CreateClient(ClientName).SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"http.request {method} {url} answered {status} {response.ReasonPhrase}: {(text.Length > 500 ? text[..500] : text)}");
        }

        return Result(status, response.Headers, response.Content.Headers, text);
    }

    private static string Result(int status, HttpResponseHeaders headers, HttpContentHeaders contentHeaders, string text)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("status", status);
            w.WriteStartObject("headers");
            foreach (var h in headers.Concat(contentHeaders))
            {
                w.WriteString(h.Key, string.Join(", ", h.Value));
            }

            w.WriteEndObject();
            w.WritePropertyName("body");
            using var doc = TryParse(text);
            if (doc is not null && StorableJson.Check(doc.RootElement) is null)
            {
                doc.RootElement.WriteTo(w);
            }
            else
            {
                // Text, or JSON Postgres cannot store (a \u0000 escape, a number beyond a double): kept as a string, with
                // a raw NUL, which no string can hold there, shown as U+FFFD.
                w.WriteStringValue(text.Replace('\0', '\uFFFD'));
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static JsonDocument? TryParse(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
