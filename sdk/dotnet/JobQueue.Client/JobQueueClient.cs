using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace JobQueue.Client;

/// <summary>
/// The JobQueue API over one <see cref="HttpClient"/> (register it with
/// <c>services.AddJobQueueClient(...)</c>, which adds the retries). Every call unwraps
/// the <c>{data, error, meta}</c> envelope and returns the typed data, or throws <see cref="JobQueueException"/> with
/// the API's message, status and request id.
/// </summary>
public sealed partial class JobQueueClient
{
    private static readonly JobQueueJsonContext Json = JobQueueJsonContext.Default;
    private readonly HttpClient _http;
    private readonly JobQueueClientOptions _options;

    public JobQueueClient(HttpClient http, IOptions<JobQueueClientOptions> options)
    {
        _http = http;
        _options = options.Value;
        _http.BaseAddress ??= _options.BaseAddress
            ?? throw new InvalidOperationException("JobQueue:BaseAddress is not set (the gateway, e.g. http://localhost:8080).");
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            _http.DefaultRequestHeaders.Add("X-API-Key", _options.ApiKey);
        }
        else if (!string.IsNullOrEmpty(_options.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }
    }

    /// <summary>The gateway this client calls.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, path, null, type, ct);

    private Task<T> PostAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, Body(body, bodyType), type, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, path, content, ct);
        using var envelope = await ReadEnvelopeAsync(response, ct);
        return envelope.RootElement.GetProperty("data").Deserialize(type)!;
    }

    private async Task<Page<T>> SendPageAsync<T>(string path, JsonTypeInfo<List<T>> type, CancellationToken ct)
    {
        using var response = await SendRawAsync(HttpMethod.Get, path, null, ct);
        using var envelope = await ReadEnvelopeAsync(response, ct);
        var items = envelope.RootElement.GetProperty("data").Deserialize(type)!;
        var meta = envelope.RootElement.GetProperty("meta");
        int Meta(string name) => meta.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        var hasMore = meta.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
        return new Page<T>(items, Meta("total_count"), Meta("limit"), Meta("offset"), hasMore);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
    }

    /// <summary>Reads the envelope of a successful answer; throws the API's error otherwise.</summary>
    private static async Task<JsonDocument> ReadEnvelopeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await ThrowIfErrorAsync(response, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return JsonDocument.Parse(body);
    }

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct);
        string? message = null, requestId = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
                {
                    message = error.GetString();
                }

                if (doc.RootElement.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                    && meta.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    requestId = id.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not the API's envelope (a proxy in between answered): the status and the start of the text say what happened.
        }

        message ??= $"{(int)response.StatusCode} {response.ReasonPhrase}: {(text.Length > 200 ? text[..200] : text)}";
        throw new JobQueueException(message, response.StatusCode, requestId, RetryAfterOf(response));
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };

    private static ByteArrayContent Body<T>(T value, JsonTypeInfo<T> type)
    {
        // Bytes, not a serialising stream: the retry handler may send the same content again.
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>A path with its query: null values are left out, the rest escaped.</summary>
    private static string WithQuery(string path, params (string Name, string? Value)[] query)
    {
        var builder = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in query)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return builder.ToString();
    }

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Flag(bool? value) => value switch { true => "true", false => "false", null => null };

    private static string? Time(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static bool IsNoContent(HttpResponseMessage response) => response.StatusCode == HttpStatusCode.NoContent;
}
