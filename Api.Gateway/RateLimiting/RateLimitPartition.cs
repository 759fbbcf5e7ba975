using System.Net;
using System.Net.Sockets;
using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Redis;

namespace Api.Gateway.RateLimiting;

/// <summary>Which bucket a request takes its token from, under which policy, and how a 429 names it.</summary>
internal sealed record RateLimitPartition(string Bucket, RateLimitPolicy Policy, string Description)
{
    /// <summary>
    /// <c>/auth/*</c>: per client address under the stricter auth policy (guessing passwords must be slow). Otherwise,
    /// after authentication: the admin key on its own bucket, an API key per key id, a tenant without a key id per
    /// tenant, and a request that is not authenticated per client address (the service behind answers its 401).
    /// </summary>
    public static RateLimitPartition For(PathString path, IPAddress? client, Caller? caller, JobQueueSettings settings)
    {
        var general = new RateLimitPolicy(settings.RateLimitRps, settings.RateLimitBurst);
        var address = AddressOf(client);
        if (settings.RateLimitAuthRps > 0 && path.StartsWithSegments("/auth"))
        {
            return new($"auth:ip:{address}", new RateLimitPolicy(settings.RateLimitAuthRps, settings.RateLimitAuthBurst), "sign-in requests from this address");
        }

        return caller switch
        {
            null => new($"ip:{address}", general, "unauthenticated requests from this address"),
            { IsAdmin: true } => new($"admin:{caller.ApiKeyId?.ToString("N") ?? caller.Owner}", general, "the admin key"),
            { ApiKeyId: { } keyId } => new($"key:{keyId:N}", general, "this API key"),
            _ => new($"tenant:{caller.Owner}", general, "this tenant"),
        };
    }

    /// <summary>
    /// The client address (the TCP peer, or the client a trusted proxy names): IPv4-mapped IPv6 written as IPv4, so one
    /// client is one bucket whichever way it connects, and IPv6 as its /64: one subnet (the last 64 bits are the interface
    /// identifier, RFC 4291 §2.5.4), from which one host takes as many addresses as it likes (temporary addresses,
    /// RFC 8981), so rotating through them does not give a caller fresh buckets.
    /// </summary>
    private static string AddressOf(IPAddress? client)
    {
        if (client is null)
        {
            return "unknown";
        }

        if (client.IsIPv4MappedToIPv6)
        {
            return client.MapToIPv4().ToString();
        }

        if (client.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return client.ToString();
        }

        var bytes = client.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return $"{new IPAddress(bytes)}/64";
    }
}
