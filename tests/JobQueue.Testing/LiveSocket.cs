using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace JobQueue.Testing;

/// <summary>A <c>/ws</c> client for tests: connect, read frames as JSON, wait for the one a test expects.</summary>
public sealed class LiveSocket : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];

    private LiveSocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>Every frame received so far, in order.</summary>
    public List<JsonNode> Received { get; } = [];

    /// <summary>
    /// Connects to <paramref name="uri"/> (ws://…/ws?…). <paramref name="invoker"/> lets a test choose the socket
    /// (e.g. a tiny receive buffer); <paramref name="configure"/> sets headers.
    /// </summary>
    public static async Task<LiveSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null, HttpMessageInvoker? invoker = null, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken);
        }
        catch (WebSocketException e)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new LiveSocketRefusedException(status, e);
        }

        return new LiveSocket(socket);
    }

    /// <summary>The status with which the server refuses the handshake to <paramref name="uri"/> (fails the test if it accepts).</summary>
    public static async Task<System.Net.HttpStatusCode> RefusalAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var accepted = await ConnectAsync(uri, cancellationToken: cancellationToken);
        }
        catch (LiveSocketRefusedException e)
        {
            return e.Status;
        }

        Assert.Fail($"{uri} was accepted");
        return default;
    }

    /// <summary>The next frame, or null when the server closed the connection (or it broke).</summary>
    public async Task<JsonNode?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var text = new StringBuilder();
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await Socket.ReceiveAsync(_buffer, cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no frame within {timeout} (received {Received.Count} so far)");
            }
            catch (Exception e) when (e is WebSocketException or IOException)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Append(Encoding.UTF8.GetString(_buffer, 0, result.Count));
            if (result.EndOfMessage)
            {
                var frame = JsonNode.Parse(text.ToString())!;
                Received.Add(frame);
                return frame;
            }
        }
    }

    /// <summary>Reads frames until one matches <paramref name="match"/>; fails after <paramref name="timeout"/> or on close.</summary>
    public async Task<JsonNode> NextAsync(Func<JsonNode, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"no {what} within {timeout}; received: {string.Join(" | ", Received.TakeLast(10).Select(f => f.ToJsonString()))}");
            }

            JsonNode? frame;
            try
            {
                frame = await ReceiveAsync(left);
            }
            catch (TimeoutException)
            {
                continue;
            }

            if (frame is null)
            {
                Assert.Fail($"connection closed ({Socket.CloseStatus} {Socket.CloseStatusDescription}) before {what}");
            }

            if (match(frame!))
            {
                return frame!;
            }
        }
    }

    /// <summary>The next frame of <paramref name="type"/>.</summary>
    public Task<JsonNode> NextOfTypeAsync(string type, TimeSpan timeout) =>
        NextAsync(f => f["type"]?.GetValue<string>() == type, timeout, $"'{type}' frame");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }

        Socket.Dispose();
    }
}

/// <summary>The server refused the WebSocket handshake with <see cref="Status"/>.</summary>
public sealed class LiveSocketRefusedException(System.Net.HttpStatusCode status, Exception inner)
    : Exception($"WebSocket refused with {(int)status} {status}", inner)
{
    public System.Net.HttpStatusCode Status { get; } = status;
}
