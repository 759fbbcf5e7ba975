using System.Globalization;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>A token bucket: <paramref name="TokensPerSecond"/> refill, at most <paramref name="Burst"/> tokens (and so requests at once).</summary>
public sealed record RateLimitPolicy(double TokensPerSecond, int Burst)
{
    public RateLimitPolicy Validate() =>
        TokensPerSecond > 0 && double.IsFinite(TokensPerSecond) && Burst >= 1
            ? this
            : throw new ArgumentOutOfRangeException(nameof(TokensPerSecond), this, "a rate-limit policy needs a positive finite rate and a burst of at least 1");
}

/// <summary>
/// One decision of <see cref="RedisRateLimiter"/>: whether the request may pass, the whole tokens left,
/// how long until the next token (zero when allowed) and how long until the bucket is full again.
/// </summary>
public readonly record struct RateLimitDecision(bool Allowed, long Remaining, TimeSpan RetryAfter, TimeSpan ResetAfter);

/// <summary>
/// Token buckets kept in Redis, so every gateway replica takes from the same bucket. Each decision is one script
/// call (<c>Lua/ratelimit.lua</c>): refill by elapsed time, take a token if there is one, store tokens and the time
/// of the refill in a hash that expires once the bucket would be full again (an idle key costs no memory).
/// </summary>
public sealed class RedisRateLimiter(IConnectionMultiplexer redis, RedisKeys keys)
{
    /// <summary>False while the connection to Redis is down: a call would wait in the backlog for the command timeout.</summary>
    public bool IsConnected => redis.IsConnected;

    /// <summary>
    /// Takes one token from <paramref name="bucket"/>. The clock is the Redis server's <c>TIME</c>, one clock for all
    /// replicas, unless <paramref name="nowUnixMs"/> is given (tests drive time through it).
    /// </summary>
    /// <exception cref="RedisException">Redis could not be reached or failed; the caller decides whether to fail open.</exception>
    public async Task<RateLimitDecision> TakeAsync(string bucket, RateLimitPolicy policy, long? nowUnixMs = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        policy.Validate();
        var args = new RedisValue[]
        {
            policy.TokensPerSecond.ToString("R", CultureInfo.InvariantCulture),
            policy.Burst,
            nowUnixMs is { } now ? now : RedisValue.EmptyString,
        };
        var result = (RedisResult[])(await LuaScripts.RunAsync(redis.GetDatabase(), LuaScripts.RateLimit, [keys.RateLimit(bucket)], args))!;
        return new RateLimitDecision(
            Allowed: (long)result[0] == 1,
            Remaining: (long)result[1],
            RetryAfter: TimeSpan.FromMilliseconds((long)result[2]),
            ResetAfter: TimeSpan.FromMilliseconds((long)result[3]));
    }
}
