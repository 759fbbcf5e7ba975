using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Core.Net;
using JobQueue.Core.Webhooks;
using JobQueue.Storage.Postgres;

namespace Webhook.Dispatcher.Delivery;

/// <summary>What one HTTP attempt gave: the answer's status (null: none), the time taken, and the error if it failed.</summary>
public sealed record AttemptResult(DateTime StartedAt, int LatencyMs, int? StatusCode, string? Error, bool Blocked)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Makes one HTTP attempt of a delivery: the body built from the lifecycle event, signed with the subscription's
/// secret (<see cref="WebhookSignature"/>), POSTed with the delivery's id and event in headers, inside a client span
/// that continues the job's trace (its <c>traceparent</c> is sent). Any 2xx is success; anything else, no answer
/// within the timeout, or an address refused by the policy is a failure with its reason.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, WebhookOptions options, SigningSecrets secrets, TimeProvider time, ILogger<WebhookSender> logger)
{
    public const string ClientName = "webhooks";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task<AttemptResult> SendAsync(ClaimedDelivery d, CancellationToken ct)
    {
        string? secret;
        try
        {
            secret = d.ProtectedSecret is { } protectedSecret ? secrets.Unprotect(protectedSecret) : d.PlainSecret;
        }
        catch (SigningSecretUnreadableException ex)
        {
            // Not sent unsigned, and not counted as the receiver's fault beyond a normal failed attempt: it is retried
            // on the usual schedule, so a replica that does share the key ring can take the next attempt.
            logger.SigningSecretUnreadable(d.Id, d.WebhookId, d.Attempt, ex.Message);
            return new AttemptResult(time.GetUtcNow().UtcDateTime, 0, null, ex.Message, Blocked: false);
        }

        var e = JsonSerializer.Deserialize<LifecycleEvent>(d.Payload)
            ?? throw new InvalidOperationException($"delivery {d.Id} has no event");
        var body = WebhookPayload.Build(e);

        var parent = ActivityContext.TryParse(d.TraceParent, null, out var p) ? p : default;
        using var activity = WebhookMetrics.Source.StartActivity("webhook deliver", ActivityKind.Client, parent)
            ?? StartUnlistened(d.TraceParent);
        activity.SetTag("webhook.id", d.WebhookId);
        activity.SetTag("webhook.delivery_id", d.Id);
        activity.SetTag("webhook.event", d.Event);
        activity.SetTag("webhook.attempt", d.Attempt);

        using var request = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("User-Agent", WebhookSignature.UserAgent);
        request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, d.Id.ToString());
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, d.Event);
        request.Headers.TryAddWithoutValidation("traceparent", activity.Id);
        if (secret is { Length: > 0 })
        {
            var ts = time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, body));
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampedSignatureHeader, WebhookSignature.SignTimestamped(secret, ts, body));
        }

        var startedAt = time.GetUtcNow().UtcDateTime;
        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            activity.SetTag("http.response.status_code", status);
            var error = response.IsSuccessStatusCode ? null : $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
            activity.SetStatus(error is null ? ActivityStatusCode.Ok : ActivityStatusCode.Error, error);
            return new AttemptResult(startedAt, Elapsed(clock), status, error, Blocked: false);
        }
        catch (Exception ex) when (FindBlocked(ex) is { } blocked)
        {
            activity.SetStatus(ActivityStatusCode.Error, blocked.Message);
            return new AttemptResult(startedAt, Elapsed(clock), null, "blocked: " + blocked.Message, Blocked: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            activity.SetStatus(ActivityStatusCode.Error, "timeout");
            return new AttemptResult(startedAt, Elapsed(clock), null, $"no answer within {options.Timeout.TotalSeconds:0.###} s", Blocked: false);
        }
        catch (HttpRequestException ex)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            return new AttemptResult(startedAt, Elapsed(clock), null, ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message, Blocked: false);
        }
    }

    // Without a listener (no OpenTelemetry exporter) StartActivity gives null; a plain Activity still carries the
    // trace on to the receiver, which is what the traceparent header is for.
    private static Activity StartUnlistened(string? traceParent)
    {
        var activity = new Activity("webhook deliver");
        if (traceParent is { Length: > 0 })
        {
            activity.SetParentId(traceParent);
        }

        return activity.Start();
    }

    private static BlockedAddressException? FindBlocked(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is BlockedAddressException blocked)
            {
                return blocked;
            }
        }

        return null;
    }

    private static int Elapsed(Stopwatch clock) => (int)Math.Min(int.MaxValue, clock.ElapsedMilliseconds);
}
