using System.Globalization;
using JobQueue.Core.Configuration;

namespace Jobs.Api.Live;

/// <summary>Settings of the <c>/ws</c> stream.</summary>
public sealed record LiveOptions
{
    /// <summary><c>WS_STATS_INTERVAL</c>: how often each client gets its tenant's <c>stats.update</c> (the original: 5 s).</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>WS_CLIENT_BUFFER</c>: frames waiting for one client before it is dropped as too slow (the original: 256).
    /// Bounded so that one stalled browser cannot grow the process's memory or hold up the others.
    /// </summary>
    public int ClientBuffer { get; init; } = 256;

    /// <summary>
    /// <c>WS_KEEPALIVE_INTERVAL</c>: how often the server pings an idle connection. Below the 60 s idle timeout of
    /// common proxies; a client that does not answer within twice the interval is cut off (the original: ping every
    /// 54 s, 60 s pong wait).
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    public static LiveOptions From(IConfiguration config)
    {
        var d = new LiveOptions();
        var options = new LiveOptions
        {
            StatsInterval = config["WS_STATS_INTERVAL"] is { Length: > 0 } s ? GoDuration.Parse(s, "WS_STATS_INTERVAL") : d.StatsInterval,
            ClientBuffer = config["WS_CLIENT_BUFFER"] is { Length: > 0 } b ? int.Parse(b, NumberStyles.Integer, CultureInfo.InvariantCulture) : d.ClientBuffer,
            KeepAliveInterval = config["WS_KEEPALIVE_INTERVAL"] is { Length: > 0 } k ? GoDuration.Parse(k, "WS_KEEPALIVE_INTERVAL") : d.KeepAliveInterval,
        };
        if (options.StatsInterval <= TimeSpan.Zero || options.KeepAliveInterval <= TimeSpan.Zero || options.ClientBuffer < 1)
        {
            throw new FormatException("WS_STATS_INTERVAL and WS_KEEPALIVE_INTERVAL must be positive and WS_CLIENT_BUFFER at least 1");
        }

        return options;
    }
}
