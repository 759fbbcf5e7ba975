using System.Collections.Concurrent;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>
/// Credentials looked up in Postgres, kept in process for at most 30 s so that a request does not cost a query.
/// A change (key deleted, disabled or regenerated; password reset) is published on Redis
/// (<see cref="RedisKeys.AuthInvalidateChannel"/>) and every process drops that user's entries at once; the 30 s
/// bound is the safety net for a lost message. Until the subscription is in place (at start, or after a lost Redis
/// connection) nothing is cached, so no entry can outlive an invalidation it did not hear.
/// </summary>
public sealed partial class CredentialCache(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, ILogger<CredentialCache> logger) : IHostedService
{
    /// <summary>How long an entry may be used without asking Postgres again.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    // Far above the number of active keys of any install we expect; beyond it the cache starts over rather than grow.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;
    private volatile bool _listening;
    private volatile bool _subscribed;

    private sealed record Entry(Guid UserId, object Value, DateTimeOffset ExpiresAt);

    /// <summary>
    /// The cached value under <paramref name="key"/>, else <paramref name="load"/>'s, cached when it has a user.
    /// A load that raced with an invalidation is returned but not cached.
    /// </summary>
    public async Task<T?> GetOrLoadAsync<T>(string key, Func<Task<(T? Value, Guid UserId)>> load)
        where T : class
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var hit) && hit.ExpiresAt > now && hit.Value is T cached)
        {
            return cached;
        }

        var generation = Interlocked.Read(ref _generation);
        var (value, userId) = await load();
        if (value is not null && _listening && Interlocked.Read(ref _generation) == generation)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[key] = new Entry(userId, value, now + Ttl);
        }

        return value;
    }

    /// <summary>Drops this process's entries of the user and tells every other process to do the same.</summary>
    public async Task InvalidateUserAsync(Guid userId)
    {
        DropUser(userId);
        try
        {
            await redis.GetSubscriber().PublishAsync(keys.AuthInvalidateChannel, userId.ToString("D"));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The change is committed; other processes will stop using their copy within Ttl.
            LogPublishFailed(logger, userId, e.Message);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        await SubscribeAsync();
    }

    /// <summary>Subscribes once; the multiplexer itself re-subscribes after a reconnect.</summary>
    private async Task SubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(keys.AuthInvalidateChannel, (_, message) =>
            {
                if (Guid.TryParseExact(message.ToString(), "D", out var userId))
                {
                    DropUser(userId);
                }
            });
            _subscribed = true;
            _listening = redis.IsConnected;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis down at start: work uncached until it is back (OnConnectionRestored subscribes then).
            LogNotListening(logger, e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        _listening = false;
        return Task.CompletedTask;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // Messages sent while we are disconnected are lost: stop caching and forget what we have.
        _listening = false;
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        if (_subscribed)
        {
            _listening = true;
        }
        else
        {
            _ = SubscribeAsync();
        }
    }

    private void DropUser(Guid userId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (entry.UserId == userId)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the invalidation of user {UserId}'s credentials ({Reason}); other processes drop them within 30 s")]
    private static partial void LogPublishFailed(ILogger logger, Guid userId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Credential cache disabled until Redis is reachable: {Reason}")]
    private static partial void LogNotListening(ILogger logger, string reason);
}
