using System.Diagnostics;
using System.Threading.Channels;
using JobQueue.Core.Jobs;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using StackExchange.Redis;

namespace Jobs.Api.Application;

/// <summary>
/// Group commit for enqueues: Postgres first (the 201 promise), then the Redis index. Each request hands its jobs
/// over and awaits its own commit; while a commit is in flight, requests that arrive meanwhile pile up and go
/// together in the next INSERT (one transaction, one WAL flush) and the next index script (one Redis call, one
/// wake-up message, so the workers claim the group at once rather than a job per message). At low load a request
/// waits for nobody (the pump is idle and takes it at once); under load the groups grow instead of queueing.
/// <para>
/// If the Redis push fails the jobs are still accepted: the scheduler's stale-index sweep (or a full rebuild after
/// Redis loss) indexes them.
/// </para>
/// <para>
/// A request's jobs stay one unit (a batch request is still all-or-none): if a combined insert fails for a reason
/// other than Postgres being unreachable, each request of the group is retried alone, so one request's bad row
/// cannot fail its neighbours. A 201 is still only answered after the request's own jobs are committed. Metered
/// requests take their jobs from their account's monthly allowance inside the same transaction, so a refused or failed
/// enqueue never counts (see <see cref="PostgresJobStore.JobsInsertGroupAsync"/>).
/// </para>
/// </summary>
internal sealed partial class GroupCommit : IAsyncDisposable
{
    /// <summary>Jobs after which a group is closed (a batch request of 500 always goes whole).</summary>
    internal const int MaxJobsPerCommit = 1000;

    /// <summary>Commits in flight at once: one flushing to disk while the next is being built and sent.</summary>
    private const int Pumps = 2;

    private readonly PostgresJobStore _store;
    private readonly RedisBroker _broker;
    private readonly ILogger<GroupCommit> _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _pumps;

    private static readonly ActivitySource Telemetry = new("JobQueue.Jobs.GroupCommit");

    public GroupCommit(PostgresJobStore store, RedisBroker broker, TimeProvider time, ILogger<GroupCommit> logger)
    {
        _time = time;
        _store = store;
        _broker = broker;
        _logger = logger;
        _pumps = Enumerable.Range(0, Pumps).Select(_ => Task.Run(PumpAsync)).ToArray();
    }

    /// <summary>
    /// Completes when the unit's jobs are committed (all of them), with the account's usage after it (null when not
    /// metered), or with <see cref="UsageConsumption.Accepted"/> false when the monthly limit refused them (nothing
    /// inserted, nothing counted); throws why not otherwise.
    /// </summary>
    public Task<UsageConsumption?> InsertAsync(EnqueueUnit unit)
    {
        var pending = new Pending(unit);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommit));
        }

        return pending.Done.Task;
    }

    private async Task PumpAsync()
    {
        var group = new List<Pending>();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                group.Clear();
                var count = 0;
                // Bounded by jobs, not requests; the last request may carry the group past the bound (by < 500).
                while (count < MaxJobsPerCommit && reader.TryRead(out var next))
                {
                    group.Add(next);
                    count += next.Unit.Jobs.Count;
                }

                if (group.Count > 0)
                {
                    await CommitAsync(group);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    private async Task CommitAsync(List<Pending> group)
    {
        // The pump runs outside the requests' traces: the group's span continues the first request's trace and links
        // the others, so the Postgres insert and the Redis push show up under the enqueue that caused them.
        using var span = group[0].Trace == default ? null : Telemetry.StartActivity("commit enqueue group", ActivityKind.Internal,
            group[0].Trace, links: group.Count == 1 ? null : group.Skip(1).Where(p => p.Trace != default).Select(p => new ActivityLink(p.Trace)));
        span?.SetTag("jobqueue.group.requests", group.Count);
        var committed = new List<Pending>(group.Count);
        try
        {
            var usage = await _store.JobsInsertGroupAsync(group.Select(p => p.Unit).ToList(), _time.GetUtcNow(), CancellationToken.None);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Usage = usage[i];
                if (usage[i] is { Accepted: false })
                {
                    group[i].Done.TrySetResult(usage[i]);
                }
                else
                {
                    committed.Add(group[i]);
                }
            }
        }
        catch (Exception ex) when (group.Count == 1 || ErrorEnvelopeMiddleware.IsUnavailable(ex))
        {
            foreach (var p in group)
            {
                p.Done.TrySetException(ex);
            }

            return;
        }
        catch (Exception)
        {
            // Something in one request is refused by the database: settle each request on its own merits.
            foreach (var p in group)
            {
                await CommitAsync([p]);
            }

            return;
        }

        if (committed.Count == 0)
        {
            return;
        }

        await IndexAsync(committed.SelectMany(p => p.Unit.Jobs).Select(j => new QueueEntry(j.Id, j.Type, j.QueueName, j.Priority, j.ScheduledAt)).ToList());
        foreach (var p in committed)
        {
            p.Done.TrySetResult(p.Usage);
        }
    }

    /// <summary>Indexes committed jobs; a Redis failure is logged, not returned: the jobs are already safe in Postgres.</summary>
    public async Task IndexAsync(IReadOnlyCollection<QueueEntry> entries)
    {
        try
        {
            await _broker.PushAsync(entries);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogIndexDeferred(_logger, entries.Count, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis push of {Count} committed jobs failed ({Reason}); the scheduler will index them")]
    private static partial void LogIndexDeferred(ILogger logger, int count, string reason);

    public async ValueTask DisposeAsync()
    {
        // Requests already handed over are committed before the process stops: their callers are waiting for a 201.
        _queue.Writer.TryComplete();
        await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stop.CancelAsync();
        _stop.Dispose();
    }

    private sealed record Pending(EnqueueUnit Unit)
    {
        /// <summary>The trace of the request that handed the unit over (default when tracing is off).</summary>
        public ActivityContext Trace { get; } = Activity.Current?.Context ?? default;

        public TaskCompletionSource<UsageConsumption?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public UsageConsumption? Usage { get; set; }
    }
}
