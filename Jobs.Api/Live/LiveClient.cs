using System.Net.WebSockets;
using System.Threading.Channels;

namespace Jobs.Api.Live;

/// <summary>
/// One <c>/ws</c> connection: what it may see (its tenant, or every tenant for an administrator; optionally only some
/// frame types), a bounded queue of frames waiting to be sent, a send loop and a receive loop. The hub only ever
/// calls <see cref="TryEnqueue"/>, which never blocks: a client whose queue is full is dropped, so one stalled
/// browser costs neither the hub nor the other clients anything.
/// </summary>
public sealed class LiveClient : IDisposable
{
    /// <summary>How long a send already under way may take to finish after the client was dropped or the server stops.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly IReadOnlySet<string>? _types;
    private readonly Channel<byte[]> _frames;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private (WebSocketCloseStatus Status, string Reason)? _closeWith;

    public LiveClient(string? scopeOwner, IReadOnlySet<string>? types, int capacity)
    {
        ScopeOwner = scopeOwner;
        _types = types;
        Capacity = capacity;
        // Only the hub writes (one subscription handler at a time, plus the stats tick) and only the send loop reads.
        _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>The tenant whose events this client sees; null for an administrator (every tenant).</summary>
    public string? ScopeOwner { get; }

    public int Capacity { get; }

    /// <summary>True once the hub gave up on this client because its queue was full.</summary>
    public bool Dropped { get; private set; }

    /// <summary>Whether this client sees an event of <paramref name="owner"/>.</summary>
    public bool Sees(string owner) => ScopeOwner is null || string.Equals(ScopeOwner, owner, StringComparison.Ordinal);

    /// <summary>Whether this client asked for frames of <paramref name="type"/> (<c>?types=</c>; all when it did not say).</summary>
    public bool Wants(string type) => _types is null || _types.Contains(type);

    /// <summary>Queues <paramref name="frame"/> without waiting; false when the queue is full (the caller drops the client).</summary>
    public bool TryEnqueue(byte[] frame) => _frames.Writer.TryWrite(frame) || _stop.IsCancellationRequested;

    /// <summary>
    /// Gives up on the client: what is queued is discarded and the connection is closed with 1008. True for the call
    /// that did it (false when the client had already stopped).
    /// </summary>
    public bool Drop()
    {
        if (!Stop(WebSocketCloseStatus.PolicyViolation, $"too slow: more than {Capacity} frames waiting"))
        {
            return false;
        }

        Dropped = true;
        return true;
    }

    /// <summary>
    /// Sends queued frames on <paramref name="socket"/> until the client closes, is dropped or <paramref name="shutdown"/>
    /// fires, then closes the connection (1000 when the client asked, 1008 when dropped, 1001 at shutdown). Frames
    /// queued before (between registration with the hub and the upgrade) go out first.
    /// </summary>
    public async Task RunAsync(WebSocket socket, CancellationToken shutdown)
    {
        using var onShutdown = shutdown.Register(() => _ = Stop(WebSocketCloseStatus.EndpointUnavailable, "server shutting down"));
        var receiving = ReceiveAsync(socket);
        await SendAsync(socket);
        // The send loop also ends when the connection fails; from here on nothing may be queued.
        _ = Stop(WebSocketCloseStatus.NormalClosure, "");

        var (status, reason) = _closeWith ?? (WebSocketCloseStatus.NormalClosure, "");
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseGrace);
                await socket.CloseOutputAsync(status, reason, timeout.Token);
            }

            // The client answers our close (or has already sent its own); give it the grace period, then cut.
            await receiving.WaitAsync(CloseGrace, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
            socket.Abort();
        }
    }

    private async Task SendAsync(WebSocket socket)
    {
        try
        {
            var reader = _frames.Reader;
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (!_stop.IsCancellationRequested && reader.TryRead(out var frame))
                {
                    // _abort, not _stop: a send under way may finish within CloseGrace after a stop; cancelling a
                    // WebSocket send aborts the connection, which is what we want only for a client that is stuck.
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // Stopped, or the connection is gone: RunAsync closes or aborts it.
        }
    }

    /// <summary>Reads (and ignores) what the client sends, to notice its close or a dead connection.</summary>
    private async Task ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _ = Stop(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _ = Stop(WebSocketCloseStatus.NormalClosure, "");
        }
    }

    /// <summary>Stops the loops, the first caller choosing how the connection is closed; true for that first call.</summary>
    private bool Stop(WebSocketCloseStatus status, string reason)
    {
        lock (_stop)
        {
            if (_stop.IsCancellationRequested)
            {
                return false;
            }

            _closeWith = (status, reason);
            _frames.Writer.TryComplete();
            _stop.Cancel();
        }

        _abort.CancelAfter(CloseGrace);
        return true;
    }

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
    }
}
