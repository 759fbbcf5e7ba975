using JobQueue.Core.Jobs;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>
/// Every Redis key and channel, under one prefix so several installs or test runs share a server.
/// <list type="bullet">
/// <item><c>{p}ready:{queue}</c> sorted set of job ids scored by <see cref="Core.Scheduling.PriorityScore"/>.</item>
/// <item><c>{p}delayed</c> sorted set of <c>queueIndex|score|id</c> scored by ready time (ms).</item>
/// <item><c>{p}claims</c> sorted set of ids popped by a worker and not yet confirmed in Postgres, scored by deadline (ms).</item>
/// <item><c>{p}index-epoch</c> present while the index is complete; its absence (a flush, a new Redis) triggers a rebuild.</item>
/// <item><c>{p}ratelimit:{bucket}</c> hash of a token bucket (<c>tokens</c>, <c>ts</c>), expiring once it would be full again.</item>
/// <item>channels <c>{p}wake</c> (jobs became ready) and <c>{p}cancel</c> (a running job was cancelled).</item>
/// <item>channel <c>{p}auth-invalidate</c>: a key or user changed; every process drops its cached credentials of that user.</item>
/// <item><c>{p}events</c>: the lifecycle event stream (XADD, field <c>batch</c> = an <see cref="Core.Events.EventBatch"/> as JSON,
/// capped by MAXLEN), and the channel of the same name on which the relay publishes each batch for live consumers.</item>
/// <item>channel <c>{p}worker-events</c>: <c>worker.heartbeat</c> frames (JSON), published by workers; not tenant data.</item>
/// <item>channel <c>{p}webhook-wake</c>: new webhook deliveries are due (the relay's nudge to dispatchers).</item>
/// <item><c>{p}metrics:*</c>: the system-wide metric counters the gateway's <c>/metrics</c> renders.</item>
/// </list>
/// </summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Ready(string queue) => Prefix + "ready:" + queue;

    public RedisKey[] AllReady { get; } = QueueNames.All.Select(q => (RedisKey)(prefix + "ready:" + q)).ToArray();

    public RedisKey Delayed { get; } = prefix + "delayed";

    public RedisKey Claims { get; } = prefix + "claims";

    public RedisKey IndexEpoch { get; } = prefix + "index-epoch";

    /// <summary>The token bucket named <paramref name="bucket"/> (<c>key:…</c>, <c>ip:…</c>; see the gateway's partitioning).</summary>
    public RedisKey RateLimit(string bucket) => Prefix + "ratelimit:" + bucket;

    public RedisChannel WakeChannel { get; } = RedisChannel.Literal(prefix + "wake");

    public RedisChannel CancelChannel { get; } = RedisChannel.Literal(prefix + "cancel");

    /// <summary>Job types of remote workers whose jobs became due (newline-separated): wakes the lease long-polls.</summary>
    public RedisChannel LeaseWakeChannel { get; } = RedisChannel.Literal(prefix + "lease-wake");

    public RedisChannel AuthInvalidateChannel { get; } = RedisChannel.Literal(prefix + "auth-invalidate");

    public RedisKey EventStream { get; } = prefix + "events";

    public RedisChannel EventChannel { get; } = RedisChannel.Literal(prefix + "events");

    public RedisChannel WorkerEventChannel { get; } = RedisChannel.Literal(prefix + "worker-events");

    public RedisChannel WebhookWakeChannel { get; } = RedisChannel.Literal(prefix + "webhook-wake");

    /// <summary>A hash of system-wide metric values named <paramref name="name"/>.</summary>
    public RedisKey Metrics(string name) => Prefix + "metrics:" + name;

    /// <summary>1-based index of a queue in <see cref="AllReady"/> (the Lua scripts address queues by it).</summary>
    public static int QueueIndex(string queue) => queue switch
    {
        QueueNames.Critical => 1,
        QueueNames.Default => 2,
        QueueNames.Bulk => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(queue), queue, "unknown queue"),
    };
}
