using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobQueue.EndToEnd.Tests;

/// <summary>One span as an OTLP/HTTP export carried it.</summary>
public sealed record ReceivedSpan(string Service, string Scope, string Name, string TraceId, string SpanId, string ParentSpanId);

/// <summary>
/// A collector stand-in: Kestrel on 127.0.0.1 accepting OTLP/HTTP protobuf on <c>/v1/traces</c> (and answering, but
/// ignoring, <c>/v1/metrics</c> and <c>/v1/logs</c>). The protobuf is decoded by hand, just the fields a test
/// needs: resource <c>service.name</c>, scope name, and each span's ids and name.
/// </summary>
public sealed class FakeOtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    private FakeOtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public static async Task<FakeOtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = JobQueue.Testing.FreePort.Get();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new FakeOtlpReceiver(app) { Endpoint = $"http://127.0.0.1:{port}" };
        app.MapPost("/v1/traces", receiver.ReceiveAsync);
        app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        var input = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        await input.CopyToAsync(body);
        foreach (var span in Decode(body.ToArray()))
        {
            _spans.Enqueue(span);
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // Resource { repeated KeyValue attributes = 1; }  KeyValue { string key = 1; AnyValue value = 2; }  AnyValue { string string_value = 1; … }
    // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }  InstrumentationScope { string name = 1; … }
    // Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; … }
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var service = "";
            var scopes = new List<byte[]>();
            foreach (var f in Fields(resourceSpans))
            {
                if (f.Number == 1)
                {
                    foreach (var kv in Fields(f.Bytes).Where(a => a.Number == 1).Select(a => Fields(a.Bytes).ToList()))
                    {
                        if (kv.FirstOrDefault(x => x.Number == 1).Text == "service.name")
                        {
                            service = Fields(kv.First(x => x.Number == 2).Bytes).FirstOrDefault(x => x.Number == 1).Text;
                        }
                    }
                }
                else if (f.Number == 2)
                {
                    scopes.Add(f.Bytes);
                }
            }

            foreach (var scopeSpans in scopes)
            {
                var fields = Fields(scopeSpans).ToList();
                var scope = fields.Where(f => f.Number == 1).Select(f => Fields(f.Bytes).FirstOrDefault(x => x.Number == 1).Text).FirstOrDefault() ?? "";
                foreach (var span in fields.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToList()))
                {
                    string Hex(int n) => Convert.ToHexStringLower(span.FirstOrDefault(x => x.Number == n).Bytes ?? []);
                    yield return new ReceivedSpan(service, scope, span.FirstOrDefault(x => x.Number == 5).Text ?? "", Hex(1), Hex(2), Hex(4));
                }
            }
        }
    }

    private readonly record struct Field(int Number, byte[] Bytes)
    {
        public string Text => Bytes is null ? "" : Encoding.UTF8.GetString(Bytes);
    }

    /// <summary>The fields of one protobuf message; only length-delimited ones carry bytes (the rest are skipped).</summary>
    private static IEnumerable<Field> Fields(byte[] message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var key = Varint(message, ref i);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: Varint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    yield return new Field(number, message[i..(i + length)]);
                    i += length;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {key & 7} at {i}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
