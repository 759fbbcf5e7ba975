using System.Globalization;
using JobQueue.Core.Configuration;
using JobQueue.Core.Jobs;
using JobQueue.Core.Scheduling;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>What Redis needs to know to dispatch a job: nothing that Postgres does not also hold.</summary>
public readonly record struct QueueEntry(Guid Id, string Type, string Queue, int Priority, DateTime ReadyAt)
{
    /// <summary>
    /// Only the built-in workers' types are indexed in Redis; a remote worker's type waits in Postgres, where the
    /// lease (<c>POST /api/v1/workers/lease</c>) finds it, so a built-in worker never claims a job it cannot run.
    /// </summary>
    public bool IsIndexed => BuiltInJobTypes.Contains(Type);
}

/// <summary>
/// The dispatch index in Redis: ready sets by priority score, the delayed set, the claim set and the wake-up
/// channel. Everything here can be rebuilt from Postgres; a duplicate entry is harmless because the Postgres
/// claim is a compare-and-set (a job runs once per attempt whatever Redis says).
/// </summary>
public sealed class RedisBroker(IConnectionMultiplexer redis, RedisKeys keys, JobQueueSettings settings, TimeProvider time)
{
    // Enough per script call to amortise the round trip, small enough to keep Redis responsive (one script blocks it).
    private const int PushChunk = 1000;

    public RedisKeys Keys => keys;

    private IDatabase Db => redis.GetDatabase();

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Indexes committed jobs: due ones into their ready set (waking workers), later ones into the delayed set. Jobs
    /// of remote workers' types are not indexed: a due one wakes the long-polling leases instead.
    /// </summary>
    public async Task PushAsync(IReadOnlyCollection<QueueEntry> all)
    {
        var entries = all.Where(e => e.IsIndexed).ToList();
        if (entries.Count < all.Count)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var due = all.Where(e => !e.IsIndexed && e.ReadyAt <= now).Select(e => e.Type).Distinct().ToList();
            if (due.Count > 0)
            {
                await redis.GetSubscriber().PublishAsync(keys.LeaseWakeChannel, string.Join('\n', due));
            }
        }

        if (entries.Count == 0)
        {
            return;
        }

        var keyArray = new RedisKey[] { keys.AllReady[0], keys.AllReady[1], keys.AllReady[2], keys.Delayed };
        foreach (var chunk in entries.Chunk(PushChunk))
        {
            var args = new RedisValue[2 + (chunk.Length * 4)];
            args[0] = NowMs;
            args[1] = keys.WakeChannel.ToString();
            var i = 2;
            foreach (var e in chunk)
            {
                var readyMs = new DateTimeOffset(DateTime.SpecifyKind(e.ReadyAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
                args[i++] = e.Id.ToString();
                args[i++] = RedisKeys.QueueIndex(e.Queue);
                args[i++] = ((long)PriorityScore.Score(readyMs, e.Priority, e.Queue, settings.PriorityAgingStep)).ToString(CultureInfo.InvariantCulture);
                args[i++] = readyMs;
            }

            await LuaScripts.RunAsync(Db, LuaScripts.Enqueue, keyArray, args);
        }
    }

    /// <summary>
    /// Pops up to <paramref name="count"/> of the best-scored jobs across <paramref name="queues"/> and records them
    /// in the claim set until <paramref name="confirmWithin"/> from now.
    /// </summary>
    public async Task<Guid[]> ClaimAsync(IReadOnlyList<string> queues, int count, TimeSpan confirmWithin)
    {
        var keyArray = new RedisKey[queues.Count + 1];
        for (var i = 0; i < queues.Count; i++)
        {
            keyArray[i] = keys.Ready(queues[i]);
        }

        keyArray[^1] = keys.Claims;
        var result = await LuaScripts.RunAsync(Db, LuaScripts.Claim, keyArray, [count, NowMs + (long)confirmWithin.TotalMilliseconds]);
        var items = (RedisResult[])result!;
        var ids = new Guid[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            ids[i] = Guid.Parse((string)items[i]!);
        }

        return ids;
    }

    /// <summary>Forgets claims that Postgres has settled (claimed, or refused because the job moved on).</summary>
    public Task ForgetClaimsAsync(IReadOnlyCollection<Guid> ids) =>
        ids.Count == 0 ? Task.CompletedTask : Db.SortedSetRemoveAsync(keys.Claims, ids.Select(id => (RedisValue)id.ToString()).ToArray());

    /// <summary>Claims whose deadline passed without a Postgres confirmation (the worker died in between).</summary>
    public async Task<Guid[]> ExpiredClaimsAsync(int limit)
    {
        var values = await Db.SortedSetRangeByScoreAsync(keys.Claims, double.NegativeInfinity, NowMs, take: limit);
        return values.Select(v => Guid.Parse(v.ToString())).ToArray();
    }

    /// <summary>Moves due delayed jobs to their ready sets; returns how many moved and when the next is due.</summary>
    public async Task<(int Moved, DateTimeOffset? NextDue)> PromoteDueAsync(int limit)
    {
        var keyArray = new RedisKey[] { keys.AllReady[0], keys.AllReady[1], keys.AllReady[2], keys.Delayed };
        var result = (RedisResult[])(await LuaScripts.RunAsync(Db, LuaScripts.Promote, keyArray, [NowMs, limit, keys.WakeChannel.ToString()]))!;
        var moved = (int)result[0];
        var next = double.Parse(result[1].ToString(), CultureInfo.InvariantCulture);
        return (moved, next < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)next));
    }

    /// <summary>Of these waiting jobs, the ids found in neither their ready set nor the claim set.</summary>
    public async Task<Guid[]> FindUnindexedAsync(IReadOnlyCollection<QueueEntry> waiting)
    {
        var entries = waiting.Where(e => e.IsIndexed).ToList();
        if (entries.Count == 0)
        {
            return [];
        }

        var keyArray = new RedisKey[] { keys.AllReady[0], keys.AllReady[1], keys.AllReady[2], keys.Claims };
        var missing = new List<Guid>();
        foreach (var chunk in entries.Chunk(PushChunk))
        {
            var args = new RedisValue[chunk.Length * 2];
            for (var i = 0; i < chunk.Length; i++)
            {
                args[2 * i] = chunk[i].Id.ToString();
                args[(2 * i) + 1] = RedisKeys.QueueIndex(chunk[i].Queue);
            }

            var result = (RedisResult[])(await LuaScripts.RunAsync(Db, LuaScripts.Unindexed, keyArray, args))!;
            missing.AddRange(result.Select(r => Guid.Parse((string)r!)));
        }

        return missing.ToArray();
    }

    /// <summary>Drops a job from its ready set (after a cancel); a stale delayed member is refused later by the claim CAS.</summary>
    public Task RemoveReadyAsync(Guid id, string queue) => Db.SortedSetRemoveAsync(keys.Ready(queue), id.ToString());

    /// <summary>True while the index is known complete (the epoch key exists).</summary>
    public async Task<bool> IsIndexCompleteAsync() => await Db.KeyExistsAsync(keys.IndexEpoch);

    /// <summary>Marks the index complete after a rebuild.</summary>
    public Task MarkIndexCompleteAsync() => Db.StringSetAsync(keys.IndexEpoch, time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));

    /// <summary>Jobs waiting in each ready set, plus the delayed and claim sets.</summary>
    public async Task<IReadOnlyDictionary<string, long>> DepthsAsync()
    {
        var batch = Db.CreateBatch();
        var ready = Core.Jobs.QueueNames.All.Select(q => (q, batch.SortedSetLengthAsync(keys.Ready(q)))).ToList();
        var delayed = batch.SortedSetLengthAsync(keys.Delayed);
        var claims = batch.SortedSetLengthAsync(keys.Claims);
        batch.Execute();
        var result = new Dictionary<string, long>();
        foreach (var (q, t) in ready)
        {
            result[q] = await t;
        }

        result["delayed"] = await delayed;
        result["claims"] = await claims;
        return result;
    }

    /// <summary>Tells workers that a running job was cancelled.</summary>
    public Task PublishCancelAsync(Guid id) => redis.GetSubscriber().PublishAsync(keys.CancelChannel, id.ToString());

    /// <summary>Calls <paramref name="onWake"/> whenever jobs become ready.</summary>
    public Task SubscribeWakeAsync(Action onWake) =>
        redis.GetSubscriber().SubscribeAsync(keys.WakeChannel, (_, _) => onWake());

    /// <summary>Calls <paramref name="onDue"/> with the types of remote workers' jobs that became due (lease long-polls wait for them).</summary>
    public Task SubscribeLeaseWakeAsync(Action<IReadOnlyList<string>> onDue) =>
        redis.GetSubscriber().SubscribeAsync(keys.LeaseWakeChannel, (_, v) => onDue(v.ToString().Split('\n')));

    /// <summary>Calls <paramref name="onCancel"/> with the id of each running job that was cancelled.</summary>
    public Task SubscribeCancelAsync(Action<Guid> onCancel) =>
        redis.GetSubscriber().SubscribeAsync(keys.CancelChannel, (_, v) =>
        {
            if (Guid.TryParse(v.ToString(), out var id))
            {
                onCancel(id);
            }
        });
}
