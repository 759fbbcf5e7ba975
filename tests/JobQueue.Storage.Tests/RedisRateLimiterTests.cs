using JobQueue.Storage.Redis;
using JobQueue.Testing;
using NUnit.Framework;
using StackExchange.Redis;

namespace JobQueue.Storage.Tests;

/// <summary>
/// The token-bucket script on the real Redis. Time is passed in (unix ms) so refills are exact and no test sleeps;
/// one test uses the server's own TIME. Each test gets a fresh key prefix.
/// </summary>
public sealed class RedisRateLimiterTests
{
    private const long T0 = 1_700_000_000_000;
    private static readonly RateLimitPolicy TenPerSecondBurstFive = new(10, 5);
    private ConnectionMultiplexer _redis = null!;
    private RedisKeys _keys = null!;

    [OneTimeSetUp]
    public async Task ConnectAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.RedisConnectionString);

    [OneTimeTearDown]
    public async Task DisconnectAsync() => await _redis.DisposeAsync();

    [SetUp]
    public void NewPrefix() => _keys = new RedisKeys(TestRedisPrefix.New());

    [Test]
    public async Task Take_AllowsTheBurst_ThenRefuses_WithTheWaitForTheNextToken()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 6; i++)
        {
            decisions.Add(await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0));
        }

        Assert.That(decisions.Select(d => d.Allowed), Is.EqualTo(new[] { true, true, true, true, true, false }));
        Assert.That(decisions.Select(d => d.Remaining), Is.EqualTo(new long[] { 4, 3, 2, 1, 0, 0 }));
        Assert.That(decisions[4].RetryAfter, Is.EqualTo(TimeSpan.Zero), "an allowed request has nothing to wait for");
        Assert.That(decisions[5].RetryAfter, Is.EqualTo(TimeSpan.FromMilliseconds(100)), "10 tokens per second: one every 100 ms");
        Assert.That(decisions[5].ResetAfter, Is.EqualTo(TimeSpan.FromMilliseconds(500)), "five tokens to refill at 10 per second");
    }

    [Test]
    public async Task Take_RefillsAtTheRate_AndNeverBeyondTheBurst()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        for (var i = 0; i < 5; i++)
        {
            await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0);
        }

        var tooEarly = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0 + 99);
        var afterOneToken = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0 + 100);
        var afterTwoMore = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0 + 300);
        var longAfter = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0 + 60_000);

        Assert.That(tooEarly.Allowed, Is.False);
        Assert.That(tooEarly.RetryAfter, Is.EqualTo(TimeSpan.FromMilliseconds(1)));
        Assert.That((afterOneToken.Allowed, afterOneToken.Remaining), Is.EqualTo((true, 0L)));
        Assert.That((afterTwoMore.Allowed, afterTwoMore.Remaining), Is.EqualTo((true, 1L)), "200 ms refill two tokens; one is taken");
        Assert.That((longAfter.Allowed, longAfter.Remaining), Is.EqualTo((true, 4L)), "a minute refills to the burst, not to 600");
    }

    [Test]
    public async Task Take_SharesOneBucket_BetweenTwoReplicasOnTheirOwnConnections()
    {
        await using var otherConnection = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.RedisConnectionString);
        var replicaA = new RedisRateLimiter(_redis, _keys);
        var replicaB = new RedisRateLimiter(otherConnection, new RedisKeys(_keys.Prefix));

        var allowed = 0;
        for (var i = 0; i < 6; i++)
        {
            var replica = i % 2 == 0 ? replicaA : replicaB;
            allowed += (await replica.TakeAsync("key:shared", TenPerSecondBurstFive, T0)).Allowed ? 1 : 0;
        }

        Assert.That(allowed, Is.EqualTo(5), "six requests alternating between replicas: the one bucket of five lets five through");
        Assert.That((await replicaB.TakeAsync("key:shared", TenPerSecondBurstFive, T0)).Allowed, Is.False);
    }

    [Test]
    public async Task Take_KeepsSeparateKeysIndependent()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        for (var i = 0; i < 5; i++)
        {
            await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0);
        }

        var a = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0);
        var b = await limiter.TakeAsync("key:b", TenPerSecondBurstFive, T0);

        Assert.That((a.Allowed, b.Allowed, b.Remaining), Is.EqualTo((false, true, 4L)));
    }

    [Test]
    public async Task Take_DoesNotRefill_WhenTheClockStepsBack()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        for (var i = 0; i < 5; i++)
        {
            await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0);
        }

        var earlier = await limiter.TakeAsync("key:a", TenPerSecondBurstFive, T0 - 10_000);

        Assert.That(earlier.Allowed, Is.False);
    }

    [Test]
    public async Task Take_StoresTheBucketInAHash_ThatExpiresOnceItWouldBeFull()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        await limiter.TakeAsync("key:a", new RateLimitPolicy(1, 20), T0);

        var db = _redis.GetDatabase();
        var fields = (await db.HashGetAllAsync(_keys.RateLimit("key:a"))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        var ttl = await db.KeyTimeToLiveAsync(_keys.RateLimit("key:a"));

        Assert.That(fields.Keys, Is.EquivalentTo(new[] { "tokens", "ts" }));
        Assert.That(double.Parse(fields["tokens"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(19));
        Assert.That(fields["ts"], Is.EqualTo(T0.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(ttl, Is.Not.Null.And.LessThanOrEqualTo(TimeSpan.FromSeconds(2)).And.GreaterThan(TimeSpan.Zero), "one token at 1/s to refill, plus a second of slack");
    }

    [Test]
    public async Task Take_UsesTheRedisClock_WhenNoTimeIsGiven()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        var policy = new RateLimitPolicy(0.001, 2); // a token every 1000 s: nothing refills during the test

        var decisions = new[]
        {
            await limiter.TakeAsync("ip:127.0.0.1", policy),
            await limiter.TakeAsync("ip:127.0.0.1", policy),
            await limiter.TakeAsync("ip:127.0.0.1", policy),
        };

        Assert.That(decisions.Select(d => d.Allowed), Is.EqualTo(new[] { true, true, false }));
        var serverNowMs = (await _redis.GetServers()[0].TimeAsync()).Subtract(DateTime.UnixEpoch).TotalMilliseconds;
        var storedTs = (double)await _redis.GetDatabase().HashGetAsync(_keys.RateLimit("ip:127.0.0.1"), "ts");
        Assert.That(storedTs, Is.EqualTo(serverNowMs).Within(60_000), "the bucket's time is the server's unix ms");
    }

    [Test]
    public async Task Take_RefusesAPolicyWithoutARate()
    {
        var limiter = new RedisRateLimiter(_redis, _keys);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limiter.TakeAsync("key:a", new RateLimitPolicy(0, 5), T0));
    }
}
