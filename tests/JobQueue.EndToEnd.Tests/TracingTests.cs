using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// One trace across the system: a client's W3C <c>traceparent</c> on an enqueue through the gateway reaches the
/// worker's span for that job (through the gateway, Jobs.Api and the <c>trace_parent</c> stored with the job), and
/// every service exports its spans over OTLP/HTTP to the endpoint it is given.
/// </summary>
[TestFixture]
public sealed class TracingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private FakeOtlpReceiver _receiver = null!;
    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _receiver = await FakeOtlpReceiver.StartAsync();
        var environment = Api.FastEnvironment();
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver.Endpoint;
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, Environment = environment });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sut is not null)
        {
            await _sut.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Test]
    public async Task Enqueue_WithATraceparent_IsTracedThroughTheGatewayAndJobsApi_ToTheWorkersJobSpan()
    {
        await using var hooks = await WebhookReceiver.StartAsync();
        using (var subscribed = await _sut.Client.PostAsJsonAsync("/api/v1/webhooks", new { url = hooks.Url("traced"), events = new[] { "job.completed" } }))
        {
            Assert.That(subscribed.StatusCode, Is.EqualTo(HttpStatusCode.Created), (await subscribed.EnvelopeAsync()).ToString());
        }

        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var parentSpanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/jobs") { Content = JsonContent.Create(new { type = "echo", payload = new { traced = true } }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{parentSpanId}-01");
        using var response = await _sut.Client.SendAsync(request);
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        var id = body.GetProperty("data").GetProperty("id").GetGuid();

        await _sut.WaitForJobAsync(id, "completed", Bound);

        // Each service exports on its own schedule: wait for the spans of all of them.
        List<ReceivedSpan> trace = [];
        bool Has(string service, Func<ReceivedSpan, bool> match) => trace.Any(s => s.Service == service && match(s));
        var expected = new (string What, Func<bool> Seen)[]
        {
            ("the gateway's server span, a child of the caller's span", () => Has("gateway", s => s.ParentSpanId == parentSpanId)),
            ("the gateway's client span to Jobs.Api", () => Has("gateway", s => s.Scope == "System.Net.Http")),
            ("Jobs.Api's server span", () => Has("jobs-api", s => s.Scope == "Microsoft.AspNetCore")),
            ("a Postgres command span (Npgsql) of Jobs.Api", () => Has("jobs-api", s => s.Scope == "Npgsql")),
            ("Jobs.Api's Redis span of the enqueue script (StackExchange.Redis instrumentation)",
                () => Has("jobs-api", s => s.Scope.Contains("StackExchangeRedis", StringComparison.Ordinal) && s.Name.StartsWith("EVAL", StringComparison.Ordinal))),
            ("the worker's 'job echo' span", () => Has("worker", s => s.Name == "job echo")),
            ("the dispatcher's span of the job.completed webhook delivery", () => trace.Any(s => s.Service.StartsWith("webhook-dispatcher", StringComparison.Ordinal))),
        };
        try
        {
            await WaitUntil(() =>
            {
                trace = [.. _receiver.Spans.Where(s => s.TraceId == traceId)];
                return expected.All(e => e.Seen());
            }, Bound, $"every expected span of trace {traceId} is exported");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var missing = string.Join("; ", expected.Where(x => !x.Seen()).Select(x => x.What));
            var seen = string.Join("\n", trace.Select(s => $"{s.Service} {s.Scope} {s.Name} {s.SpanId} parent {s.ParentSpanId}"));
            Assert.Fail($"missing: {missing}\nseen in the trace:\n{seen}");
        }

        // The receiver of the webhook is handed the same trace.
        Assert.That(hooks.Received("traced").Select(r => r.Header("traceparent")), NUnit.Framework.Has.Some.Contains(traceId), "the delivery's traceparent continues the trace");

        // One tree: every span but the gateway's root has its parent in the trace.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.That(trace.Where(s => s.ParentSpanId != parentSpanId && !ids.Contains(s.ParentSpanId)).Select(s => $"{s.Service} {s.Name}"), Is.Empty, "spans whose parent is not in the trace");
    }
}
