using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Storage.Events;
using JobQueue.Storage.Redis;
using StackExchange.Redis;

namespace Jobs.Api.Live;

/// <summary>
/// The live stream of this Jobs.Api process: one Redis subscription to the lifecycle event channel (the relay
/// publishes every committed batch there) and one to the workers' heartbeat channel, fanned out to the
/// <c>/ws</c> clients connected here. Replicas do not talk to each other: each subscribes, so an event reaches the
/// clients of every replica through Redis. A client sees only its tenant's job events (an administrator sees all)
/// and every worker heartbeat (workers are shared and their frames name no job).
/// Each event is turned into its frame once, on the first client that may see it; when no client is connected,
/// batches are not even parsed.
/// </summary>
public sealed partial class LiveHub : IHostedService, IDisposable
{
    /// <summary>The meter of the live stream (the Prometheus exporter takes every <c>JobQueue.*</c> meter).</summary>
    public const string MeterName = "JobQueue.Live";

    // The relay delivers at least once: a batch republished after a relay failover carries the same id. The
    // newest ids seen are kept to drop such repeats; a repeat older than this many batches is unlikely.
    private const int RecentBatches = 4096;

    private readonly ConcurrentDictionary<LiveClient, byte> _clients = new();
    private readonly HashSet<long> _recentIds = [];
    private readonly Queue<long> _recentOrder = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveHub> _logger;
    private readonly Counter<long> _droppedCounter;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _events;
    private ChannelMessageQueue? _workers;
    private Task _subscribing = Task.CompletedTask;
    private long _dropped;
    private bool _disposed;

    public LiveHub(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, IMeterFactory meters, ILogger<LiveHub> logger)
    {
        _redis = redis;
        _keys = keys;
        _time = time;
        _logger = logger;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("jobqueue.ws.connections", () => ClientCount, unit: "{client}",
            description: "WebSocket (/ws) clients connected to this process");
        _droppedCounter = meter.CreateCounter<long>("jobqueue.ws.dropped_clients", unit: "{client}",
            description: "WebSocket clients dropped because they did not read their frames fast enough");
    }

    /// <summary>The <c>/ws</c> clients connected to this process now.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Clients dropped as too slow since the process started.</summary>
    public long DroppedClients => Interlocked.Read(ref _dropped);

    /// <summary>True once both channels are subscribed.</summary>
    public bool IsSubscribed => _events is not null && _workers is not null;

    /// <summary>The connected clients (a live view: clients may come and go while it is enumerated).</summary>
    public IEnumerable<LiveClient> Clients => _clients.Keys;

    public void Add(LiveClient client) => _clients.TryAdd(client, 0);

    public void Remove(LiveClient client) => _clients.TryRemove(client, out _);

    /// <summary>Queues <paramref name="frame"/> for <paramref name="client"/>, or drops the client if its queue is full.</summary>
    public void Deliver(LiveClient client, byte[] frame)
    {
        if (client.TryEnqueue(frame) || !client.Drop())
        {
            return;
        }

        _clients.TryRemove(client, out _);
        Interlocked.Increment(ref _dropped);
        _droppedCounter.Add(1);
        LogDropped(_logger, client.ScopeOwner ?? "admin", client.Capacity);
    }

    /// <summary>One message of the event channel: an <see cref="EventBatch"/> as JSON.</summary>
    public void OnEventBatch(ReadOnlySpan<byte> json)
    {
        if (_clients.IsEmpty)
        {
            return;
        }

        EventBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize(json, EventJson.Default.EventBatch);
        }
        catch (JsonException e)
        {
            LogUnreadable(_logger, e.Message);
            return;
        }

        if (batch?.Events is not { Count: > 0 } events || !FirstSighting(batch.Id))
        {
            return;
        }

        foreach (var e in events)
        {
            byte[]? frame = null;
            foreach (var (client, _) in _clients)
            {
                if (client.Sees(e.Owner) && client.Wants(e.Event))
                {
                    Deliver(client, frame ??= LiveFrames.ForEvent(e));
                }
            }
        }
    }

    /// <summary>One message of the worker channel: a <c>worker.heartbeat</c> frame, forwarded as is to every client.</summary>
    public void OnWorkerFrame(byte[] frame)
    {
        if (_clients.IsEmpty || LiveFrames.TypeOf(frame) is not { } type || type != EventNames.WorkerHeartbeat)
        {
            return;
        }

        foreach (var (client, _) in _clients)
        {
            if (client.Wants(type))
            {
                Deliver(client, frame);
            }
        }
    }

    /// <summary>Called from the event channel's handler only (one message at a time), so no lock.</summary>
    private bool FirstSighting(long batchId)
    {
        if (!_recentIds.Add(batchId))
        {
            return false;
        }

        _recentOrder.Enqueue(batchId);
        if (_recentOrder.Count > RecentBatches)
        {
            _recentIds.Remove(_recentOrder.Dequeue());
        }

        return true;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before the host answers, so that a client connecting right after start misses nothing;
        // if Redis is not there yet, keep trying in the background (the multiplexer re-subscribes after reconnects).
        if (!await TrySubscribeAsync())
        {
            _subscribing = SubscribeUntilDoneAsync(_stopping.Token);
        }
    }

    private async Task SubscribeUntilDoneAsync(CancellationToken ct)
    {
        try
        {
            do
            {
                await Task.Delay(TimeSpan.FromSeconds(2), _time, ct);
            }
            while (!await TrySubscribeAsync());
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            var subscriber = _redis.GetSubscriber();
            if (_events is null)
            {
                // ChannelMessageQueue hands messages over one at a time, in order: job.started never overtakes job.enqueued.
                var events = await subscriber.SubscribeAsync(_keys.EventChannel);
                events.OnMessage(m => OnEventBatch((byte[])m.Message!));
                _events = events;
            }

            if (_workers is null)
            {
                var workers = await subscriber.SubscribeAsync(_keys.WorkerEventChannel);
                workers.OnMessage(m => OnWorkerFrame((byte[])m.Message!));
                _workers = workers;
            }

            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogNotSubscribed(_logger, e.Message);
            return false;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host disposed before it is stopped (WebApplicationFactory does this when a test host is torn down twice)
        // has nothing left to stop.
        if (Volatile.Read(ref _disposed))
        {
            return;
        }

        await _stopping.CancelAsync();
        await _subscribing;
        foreach (var queue in new[] { _events, _workers })
        {
            try
            {
                if (queue is not null)
                {
                    await queue.UnsubscribeAsync();
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Going away anyway; Redis forgets the subscription with the connection (already disposed, at times,
                // when a test host tears down).
            }
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a /ws client of {Owner}: more than {Capacity} frames waiting")]
    private static partial void LogDropped(ILogger logger, string owner, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable event batch on the event channel: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live stream not subscribed to Redis yet ({Reason}); retrying")]
    private static partial void LogNotSubscribed(ILogger logger, string reason);
}
