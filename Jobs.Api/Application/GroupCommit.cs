using System.Threading.Channels;
using JobQueue.Core.Jobs;
using JobQueue.ServiceDefaults.Http;
using JobQueue.Storage.Postgres;

namespace Jobs.Api.Application;

/// <summary>
/// Group commit for enqueues. Each request hands its jobs over and awaits its own commit; while a commit is in
/// flight, requests that arrive meanwhile pile up and go together in the next INSERT, one transaction and one WAL
/// flush for all of them. At low load a request waits for nobody (the pump is idle and takes it at once); under
/// load the commits grow instead of queueing, which is what keeps single-enqueue latency flat at 32 clients.
/// <para>
/// A request's jobs stay one unit (a batch request is still all-or-none): if a combined insert fails for a reason
/// other than Postgres being unreachable, each request of the group is retried alone, so one request's bad row
/// cannot fail its neighbours. A 201 is still only answered after the request's own jobs are committed.
/// </para>
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>Jobs after which a group is closed (a batch request of 500 always goes whole).</summary>
    internal const int MaxJobsPerCommit = 1000;

    /// <summary>Commits in flight at once: one flushing to disk while the next is being built and sent.</summary>
    private const int Pumps = 2;

    private readonly PostgresJobStore _store;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _pumps;

    public GroupCommit(PostgresJobStore store)
    {
        _store = store;
        _pumps = Enumerable.Range(0, Pumps).Select(_ => Task.Run(PumpAsync)).ToArray();
    }

    /// <summary>Completes when <paramref name="jobs"/> are committed (all of them), or throws why not.</summary>
    public Task InsertAsync(IReadOnlyList<Job> jobs)
    {
        var pending = new Pending(jobs);
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
                    count += next.Jobs.Count;
                }

                if (group.Count > 0)
                {
                    await CommitAsync(group, count);
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

    private async Task CommitAsync(List<Pending> group, int count)
    {
        if (group.Count == 1)
        {
            await InsertAloneAsync(group[0]);
            return;
        }

        var jobs = new List<Job>(count);
        foreach (var p in group)
        {
            jobs.AddRange(p.Jobs);
        }

        try
        {
            await _store.JobsInsertAsync(jobs, CancellationToken.None);
        }
        catch (Exception ex) when (ErrorEnvelopeMiddleware.IsUnavailable(ex))
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
                await InsertAloneAsync(p);
            }

            return;
        }

        foreach (var p in group)
        {
            p.Done.TrySetResult();
        }
    }

    private async Task InsertAloneAsync(Pending p)
    {
        try
        {
            await _store.JobsInsertAsync(p.Jobs, CancellationToken.None);
            p.Done.TrySetResult();
        }
        catch (Exception ex)
        {
            p.Done.TrySetException(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Requests already handed over are committed before the process stops: their callers are waiting for a 201.
        _queue.Writer.TryComplete();
        await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stop.CancelAsync();
        _stop.Dispose();
    }

    private sealed record Pending(IReadOnlyList<Job> Jobs)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
