using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobQueue.Testing;

/// <summary>One request the receiver got: the raw body and headers as sent, and what it answered (0: it hung).</summary>
public sealed record ReceivedWebhook(string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers, int Answered, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel, its own free port): records every POST (raw body, headers) by path, and
/// can be told to answer a status for the next N requests to a path, or to hang (never answer) for the next N.
/// Otherwise it answers 200.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _script = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Status of a scripted answer that means: hold the request open until the client gives up.</summary>
    public const int Hang = 0;

    private WebhookReceiver(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = FreePort.Get();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app) { Port = port };
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The receiver's URL for <paramref name="path"/> (each test uses its own path).</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>The next requests to <paramref name="path"/> get these statuses in order (<see cref="Hang"/>: no answer).</summary>
    public void Script(string path, params int[] statuses)
    {
        var queue = _script.GetOrAdd(path, _ => new ConcurrentQueue<int>());
        foreach (var s in statuses)
        {
            queue.Enqueue(s);
        }
    }

    /// <summary>Everything received on <paramref name="path"/>, in arrival order.</summary>
    public IReadOnlyList<ReceivedWebhook> Received(string path) => _received.Where(r => r.Path == path).ToList();

    private async Task HandleAsync(HttpContext ctx, string path)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var status = _script.TryGetValue(path, out var queue) && queue.TryDequeue(out var s) ? s : StatusCodes.Status200OK;
        _received.Enqueue(new ReceivedWebhook(path, buffer.ToArray(), headers, status, DateTimeOffset.UtcNow));
        if (status == Hang)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        ctx.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
