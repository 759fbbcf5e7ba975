using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace JobQueue.Client;

public sealed partial class JobQueueClient
{
    /// <summary>GET /api/v1/stats: the caller's counts, per queue, and the waiting types no worker serves.</summary>
    public Task<Stats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/api/v1/stats", Json.Stats, cancellationToken);

    /// <summary>GET /api/v1/workers: the built-in workers and the caller's remote ones (only active ones by default).</summary>
    public async Task<IReadOnlyList<Worker>> ListWorkersAsync(bool activeOnly = true, CancellationToken cancellationToken = default) =>
        await GetAsync(WithQuery("/api/v1/workers", ("active_only", activeOnly ? null : "false")), Json.ListWorker, cancellationToken);

    /// <summary>GET /health: <c>ok</c>, or <c>degraded</c> (a 503, returned rather than thrown) with each dependency's state.</summary>
    public async Task<Health> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/health", null, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable)
        {
            await ThrowIfErrorAsync(response, cancellationToken);
        }

        return JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), Json.Health)!;
    }

    /// <summary>
    /// GET /ws: connects to the caller's live frames (job events, worker heartbeats, stats every 5 s);
    /// <paramref name="types"/> limits the frame types. Once this returns the stream is open, so nothing that happens
    /// after it is missed; what happened before is read through the REST calls (the stream is live only).
    /// </summary>
    public async Task<LiveEventStream> OpenEventStreamAsync(IEnumerable<string>? types = null, CancellationToken cancellationToken = default)
    {
        var address = new UriBuilder(new Uri(BaseAddress, WithQuery("/ws", ("types", types is null ? null : string.Join(',', types)))));
        address.Scheme = address.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        var socket = new ClientWebSocket();
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            socket.Options.SetRequestHeader("X-API-Key", _options.ApiKey);
        }
        else if (!string.IsNullOrEmpty(_options.Token))
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + _options.Token);
        }

        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(address.Uri, cancellationToken);
            return new LiveEventStream(socket);
        }
        catch (WebSocketException) when (socket.HttpStatusCode != 0)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new JobQueueException($"the live stream was refused: {(int)status} {status}", status, null, null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>An open live stream (/ws): read its frames with <see cref="ReadAllAsync"/>; dispose it to close it.</summary>
public sealed class LiveEventStream : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    internal LiveEventStream(ClientWebSocket socket) => _socket = socket;

    /// <summary>The frames as they come, until the server closes the stream or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<LiveFrame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                yield break;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            var frame = JsonSerializer.Deserialize(message.GetBuffer().AsSpan(0, (int)message.Length), JobQueueJsonContext.Default.LiveFrame)!;
            message.SetLength(0);
            yield return frame;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server went away first: nothing left to close politely.
            }
        }

        _socket.Dispose();
    }
}
