using System.Collections.Concurrent;
using System.Globalization;
using JobQueue.Core.Events;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>One counter series: how many <paramref name="Event"/>s (<c>enqueued</c>, <c>completed</c>, …) of a queue and job type.</summary>
public readonly record struct JobCounterSample(string Event, string Queue, string JobType, long Value);

/// <summary>
/// One histogram series of a queue and job type. <paramref name="CumulativeCounts"/> has one entry per bound of
/// <see cref="SystemMetricsStore.BucketBounds"/> (observations ≤ that bound) and a last one for +Inf (all of them).
/// </summary>
public sealed record HistogramSample(string Queue, string JobType, long[] CumulativeCounts, double Sum)
{
    public long Count => CumulativeCounts[^1];
}

/// <summary>The system-wide values as Redis holds them at one moment (each hash read atomically).</summary>
public sealed record SystemMetricsSnapshot(
    IReadOnlyList<JobCounterSample> Jobs,
    IReadOnlyList<HistogramSample> Duration,
    IReadOnlyList<HistogramSample> Wait,
    IReadOnlyDictionary<string, long> WebhookDeliveries,
    long WsClients);

/// <summary>
/// System-wide metric values in Redis (<c>{p}metrics:*</c>), shared by every replica of every service, so that
/// whichever gateway replica is scraped renders the same numbers and no restart resets them (the original's
/// counters were per-process atomics, and its duration histogram was never observed). The event relay feeds the
/// job counters and histograms; the webhook dispatcher and the <c>/ws</c> hosts report theirs.
/// <list type="bullet">
/// <item><c>metrics:jobs</c>: field <c>{event}|{queue}|{job_type}</c> → count.</item>
/// <item><c>metrics:duration</c>, <c>metrics:wait</c>: field <c>{queue}|{bucket index or "sum"}|{job_type}</c>;
/// bucket counts are per bucket (not cumulative), so one observation is one HINCRBY.</item>
/// <item><c>metrics:job-types</c>: the set of job types admitted as label values (at most <see cref="MaxJobTypes"/>).</item>
/// <item><c>metrics:webhook-deliveries</c>: field outcome → count.</item>
/// <item><c>metrics:ws-clients</c>: field instance id → <c>{count}|{unix ms}</c>.</item>
/// </list>
/// The job type comes last in a field because it is the one part that may contain <c>|</c>.
/// </summary>
public sealed class SystemMetricsStore(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time)
{
    /// <summary>Distinct job types that get their own series; later ones are counted under <see cref="OtherJobType"/>.</summary>
    public const int MaxJobTypes = 200;

    public const string OtherJobType = "other";

    /// <summary>A Jobs.Api instance that has not reported its WebSocket clients for this long is gone.</summary>
    public static readonly TimeSpan WsReportTtl = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Histogram bucket upper bounds in seconds: from a no-op job or an idle queue (milliseconds) to long jobs and
    /// backlogs (minutes). Fixed, because every replica must add into the same buckets.
    /// </summary>
    public static readonly double[] BucketBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    /// <summary>The job events that have a counter, with the name their counter carries.</summary>
    public static readonly IReadOnlyDictionary<string, string> CountedEvents = new Dictionary<string, string>
    {
        [EventNames.JobEnqueued] = "enqueued",
        [EventNames.JobCompleted] = "completed",
        [EventNames.JobFailed] = "failed",
        [EventNames.JobDead] = "dead",
        [EventNames.JobCancelled] = "cancelled",
    };

    // Decisions already taken for job types (true: own label). Bounded: the admitted ones by the cap, the refused
    // ones by starting over when a flood of new names fills it.
    private readonly ConcurrentDictionary<string, bool> _labels = new(StringComparer.Ordinal);

    private IDatabase Db => redis.GetDatabase();

    private RedisKey JobsKey => keys.Metrics("jobs");

    private RedisKey DurationKey => keys.Metrics("duration");

    private RedisKey WaitKey => keys.Metrics("wait");

    private RedisKey JobTypesKey => keys.Metrics("job-types");

    private RedisKey WebhookKey => keys.Metrics("webhook-deliveries");

    private RedisKey WsKey => keys.Metrics("ws-clients");

    /// <summary>
    /// Adds the events of <paramref name="batches"/> to the counters and histograms: summed in memory first, then
    /// one pipelined round of HINCRBY/HINCRBYFLOAT (plus one script call when a job type is seen for the first time).
    /// Not idempotent: the caller records each batch once.
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<EventBatch> batches)
    {
        var labels = await JobTypeLabelsAsync(batches.SelectMany(b => b.Events).Select(e => e.JobType));
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        var duration = new HistogramAccumulator();
        var wait = new HistogramAccumulator();
        foreach (var e in batches.SelectMany(b => b.Events))
        {
            var type = labels[e.JobType];
            if (CountedEvents.TryGetValue(e.Event, out var counted))
            {
                var field = counted + "|" + e.Queue + "|" + type;
                counters[field] = counters.GetValueOrDefault(field) + 1;
            }

            if (e.Event is EventNames.JobCompleted or EventNames.JobFailed or EventNames.JobDead && e.DurationMs is { } ms)
            {
                duration.Observe(e.Queue, type, ms / 1000);
            }
            else if (e.Event is EventNames.JobStarted && e.WaitMs is { } waitMs)
            {
                wait.Observe(e.Queue, type, waitMs / 1000);
            }
        }

        var batch = Db.CreateBatch();
        var writes = new List<Task>();
        foreach (var (field, n) in counters)
        {
            writes.Add(batch.HashIncrementAsync(JobsKey, field, n));
        }

        duration.AddWrites(batch, DurationKey, writes);
        wait.AddWrites(batch, WaitKey, writes);
        if (writes.Count == 0)
        {
            return;
        }

        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>Counts one webhook delivery attempt by its outcome (<c>delivered</c>, <c>failed</c>, <c>dead</c>, …).</summary>
    public Task RecordWebhookDeliveryAsync(string outcome) =>
        Db.HashIncrementAsync(WebhookKey, IsPlainLabel(outcome) ? outcome : OtherJobType);

    /// <summary>
    /// The WebSocket clients connected to one Jobs.Api instance now; report at least every
    /// <see cref="WsReportTtl"/> / 2, or the instance's count is dropped as that of a dead process.
    /// </summary>
    public Task ReportWsClientsAsync(string instanceId, int count) =>
        Db.HashSetAsync(WsKey, instanceId, count.ToString(CultureInfo.InvariantCulture) + "|" + NowMs.ToString(CultureInfo.InvariantCulture));

    /// <summary>Every system-wide value, in one round trip; forgets WebSocket reports older than <see cref="WsReportTtl"/>.</summary>
    public async Task<SystemMetricsSnapshot> ReadAsync()
    {
        var batch = Db.CreateBatch();
        var jobs = batch.HashGetAllAsync(JobsKey);
        var duration = batch.HashGetAllAsync(DurationKey);
        var wait = batch.HashGetAllAsync(WaitKey);
        var webhooks = batch.HashGetAllAsync(WebhookKey);
        var ws = batch.HashGetAllAsync(WsKey);
        batch.Execute();
        await Task.WhenAll(jobs, duration, wait, webhooks, ws);

        var counters = new List<JobCounterSample>();
        foreach (var entry in await jobs)
        {
            if (SplitField(entry.Name!) is var (ev, queue, type))
            {
                counters.Add(new JobCounterSample(ev, queue, type, (long)entry.Value));
            }
        }

        var deliveries = (await webhooks).ToDictionary(e => (string)e.Name!, e => (long)e.Value, StringComparer.Ordinal);
        var (clients, stale) = SumWsClients(await ws);
        if (stale.Length > 0)
        {
            await Db.HashDeleteAsync(WsKey, stale);
        }

        return new SystemMetricsSnapshot(counters, HistogramAccumulator.Read(await duration), HistogramAccumulator.Read(await wait), deliveries, clients);
    }

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    private (long Clients, RedisValue[] Stale) SumWsClients(HashEntry[] entries)
    {
        var oldest = NowMs - (long)WsReportTtl.TotalMilliseconds;
        long clients = 0;
        var stale = new List<RedisValue>();
        foreach (var entry in entries)
        {
            var value = (string)entry.Value!;
            var bar = value.IndexOf('|', StringComparison.Ordinal);
            if (bar > 0
                && long.TryParse(value.AsSpan(0, bar), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
                && long.TryParse(value.AsSpan(bar + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var at)
                && at >= oldest)
            {
                clients += count;
            }
            else
            {
                stale.Add(entry.Name);
            }
        }

        return (clients, [.. stale]);
    }

    /// <summary>The label each job type is counted under: itself while fewer than <see cref="MaxJobTypes"/> are admitted, else "other".</summary>
    private async Task<Dictionary<string, string>> JobTypeLabelsAsync(IEnumerable<string> types)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var type in types)
        {
            if (result.ContainsKey(type))
            {
                continue;
            }

            if (_labels.TryGetValue(type, out var own))
            {
                result[type] = own ? type : OtherJobType;
            }
            else
            {
                result[type] = OtherJobType;
                unknown.Add(type);
            }
        }

        if (unknown.Count == 0)
        {
            return result;
        }

        RedisValue[] args = [MaxJobTypes, .. unknown.Select(t => (RedisValue)t)];
        var admitted = (RedisResult[])(await LuaScripts.RunAsync(Db, LuaScripts.AdmitJobTypes, [JobTypesKey], args))!;
        if (_labels.Count > MaxJobTypes + 10_000)
        {
            _labels.Clear();
        }

        for (var i = 0; i < unknown.Count; i++)
        {
            var own = (long)admitted[i] == 1;
            _labels[unknown[i]] = own;
            result[unknown[i]] = own ? unknown[i] : OtherJobType;
        }

        return result;
    }

    /// <summary>Outcomes are names our code chooses; anything else is folded into "other" rather than trusted as a label.</summary>
    private static bool IsPlainLabel(string value) =>
        value.Length is > 0 and <= 32 && value.All(c => c is (>= 'a' and <= 'z') or '_');

    /// <summary><c>a|b|rest</c> → (a, b, rest); the rest may contain <c>|</c>.</summary>
    private static (string, string, string)? SplitField(string field)
    {
        var first = field.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : field.IndexOf('|', first + 1);
        return second < 0 ? null : (field[..first], field[(first + 1)..second], field[(second + 1)..]);
    }

    /// <summary>Observations of one histogram summed per (queue, type, bucket) before they go to Redis, and read back.</summary>
    private sealed class HistogramAccumulator
    {
        private const string SumSlot = "sum";
        private readonly Dictionary<string, long> _buckets = new(StringComparer.Ordinal);
        private readonly Dictionary<string, double> _sums = new(StringComparer.Ordinal);

        public void Observe(string queue, string type, double seconds)
        {
            if (!double.IsFinite(seconds))
            {
                return;
            }

            // A clock that stepped back between two services must not make a negative duration.
            seconds = Math.Max(0, seconds);
            var index = 0;
            while (index < BucketBounds.Length && seconds > BucketBounds[index])
            {
                index++;
            }

            var bucket = Field(queue, index.ToString(CultureInfo.InvariantCulture), type);
            _buckets[bucket] = _buckets.GetValueOrDefault(bucket) + 1;
            var sum = Field(queue, SumSlot, type);
            _sums[sum] = _sums.GetValueOrDefault(sum) + seconds;
        }

        public void AddWrites(IBatch batch, RedisKey key, List<Task> writes)
        {
            foreach (var (field, n) in _buckets)
            {
                writes.Add(batch.HashIncrementAsync(key, field, n));
            }

            foreach (var (field, sum) in _sums)
            {
                writes.Add(batch.HashIncrementAsync(key, field, sum));
            }
        }

        public static List<HistogramSample> Read(HashEntry[] entries)
        {
            var series = new Dictionary<(string Queue, string Type), (long[] Counts, double Sum)>();
            foreach (var entry in entries)
            {
                if (SplitField(entry.Name!) is not var (queue, slot, type))
                {
                    continue;
                }

                if (!series.TryGetValue((queue, type), out var s))
                {
                    s = (new long[BucketBounds.Length + 1], 0);
                }

                if (slot == SumSlot)
                {
                    s.Sum = (double)entry.Value;
                }
                else if (int.TryParse(slot, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= BucketBounds.Length)
                {
                    s.Counts[index] = (long)entry.Value;
                }

                series[(queue, type)] = s;
            }

            return [.. series
                .OrderBy(kv => kv.Key.Queue, StringComparer.Ordinal).ThenBy(kv => kv.Key.Type, StringComparer.Ordinal)
                .Select(kv => new HistogramSample(kv.Key.Queue, kv.Key.Type, Cumulative(kv.Value.Counts), kv.Value.Sum))];
        }

        private static long[] Cumulative(long[] counts)
        {
            var result = new long[counts.Length];
            long running = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                running += counts[i];
                result[i] = running;
            }

            return result;
        }

        private static string Field(string queue, string slot, string type) => queue + "|" + slot + "|" + type;
    }
}
