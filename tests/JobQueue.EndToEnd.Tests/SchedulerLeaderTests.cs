using System.Text.RegularExpressions;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// Two scheduler replicas: the cluster-wide roles (promotion, rescue, rebuild, purge) run on one elected leader at a
/// time, and when the leader dies the other replica takes over and the work still gets done.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class SchedulerLeaderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // LeaderElection's advisory lock key 0x4A51534348454441 as pg_locks shows a bigint key: high and low 32 bits.
    private const string LeaderLockHolders =
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1246843715 AND objid = 1212499009 AND objsubid = 1";

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var environment = Api.FastEnvironment();
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, Environment = environment });
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _sut.DisposeAsync();

    [Test]
    public async Task OneLeaderAtATime_AndTheOtherTakesOverWhenItDies()
    {
        var schedulers = Schedulers();
        Assert.That(schedulers, Has.Count.EqualTo(2), "the system runs two scheduler replicas");

        // Exactly one replica holds the leader lock, sampled over a few seconds (both are alive and contending).
        await WaitUntil(async () => await _sut.ScalarAsync<long>(LeaderLockHolders) == 1, Bound, "one replica holds the leader lock");
        for (var i = 0; i < 30; i++)
        {
            Assert.That(await _sut.ScalarAsync<long>(LeaderLockHolders), Is.EqualTo(1), "leader lock holders");
            await Task.Delay(100);
        }

        var leaders = LeaderPids();
        Assert.That(leaders, Has.Count.EqualTo(1), "one 'became leader' line while both replicas run:\n" + string.Join("\n", leaders));
        var leader = schedulers.Single(s => s.Pid == leaders[0]);
        var follower = schedulers.Single(s => s.Pid != leaders[0]);

        // Delayed jobs are promoted (by the leader) and each runs once.
        var before = await EnqueueDelayedAsync(20);
        await _sut.WaitForStatusAsync(before, "completed", Bound);
        Assert.That(await _sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND attempts <> 1", ("ids", before.ToArray())), Is.Zero);

        // The leader dies without a goodbye: its session (and lock) goes with it and the follower takes over.
        SystemUnderTest.Kill(leader);
        await WaitUntil(() => Task.FromResult(LeaderPids().Contains(follower.Pid)), Bound, $"{follower.Name} becomes leader");
        await WaitUntil(async () => await _sut.ScalarAsync<long>(LeaderLockHolders) == 1, Bound, "the new leader holds the lock");

        // Work that needs a leader still gets done: delayed jobs enqueued after the failover are promoted and run.
        var after = await EnqueueDelayedAsync(20);
        await _sut.WaitForStatusAsync(after, "completed", Bound);
    }

    private List<SystemProcess> Schedulers() => [.. _sut.Processes.Where(p => p.Resource == "scheduler")];

    /// <summary>Pids of the replicas that logged "became leader", in order (the log names a replica host/pid).</summary>
    private List<int> LeaderPids() =>
        [.. _sut.Log.Split('\n').Select(l => BecameLeader().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    private async Task<List<Guid>> EnqueueDelayedAsync(int n)
    {
        var at = Api.Rfc3339(DateTime.UtcNow.AddSeconds(1));
        return await _sut.EnqueueBatchAsync(Enumerable.Range(0, n).Select(_ => new { type = "noop", scheduled_at = at }));
    }

    private static Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what) => Polling.WaitUntil(condition, timeout, what);

    [GeneratedRegex(@"Scheduler replica [^/\s]+/(\d+) became leader")]
    private static partial Regex BecameLeader();
}
