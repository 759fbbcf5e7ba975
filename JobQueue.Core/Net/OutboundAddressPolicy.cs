using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace JobQueue.Core.Net;

/// <summary>Which non-public addresses an outbound call may reach.</summary>
public enum PrivateAddressAccess
{
    /// <summary>Public addresses only: the default outside Development.</summary>
    None,
    /// <summary>Public addresses and loopback (127.0.0.0/8, ::1): a developer's receiver on the same machine.</summary>
    Loopback,
    /// <summary>Every address: an install whose tenants are trusted with the internal network.</summary>
    All,
}

/// <summary>
/// Which addresses an outbound call made on a tenant's behalf (<c>http.request</c> jobs, webhook deliveries) may
/// connect to, so a tenant cannot reach the operator's network or the cloud metadata endpoint. The check runs in the
/// HTTP client's connect step (<see cref="ConnectAsync"/>, for <c>SocketsHttpHandler.ConnectCallback</c>) on the
/// addresses actually connected to, so DNS rebinding and redirects to an internal address are refused too; checks
/// made earlier (at subscription, before a request) only give a clearer message.
/// </summary>
public sealed class OutboundAddressPolicy(PrivateAddressAccess access)
{
    /// <summary>Public addresses only.</summary>
    public static OutboundAddressPolicy PublicOnly { get; } = new(PrivateAddressAccess.None);

    public PrivateAddressAccess Access { get; } = access;

    /// <summary>
    /// True when <paramref name="ip"/> may be connected to under this policy: a globally reachable address by the IANA
    /// special-purpose registries (<see cref="SpecialPurposeAddresses"/>), or loopback when that is allowed too.
    /// </summary>
    public bool Allows(IPAddress ip) => Access switch
    {
        PrivateAddressAccess.All => true,
        PrivateAddressAccess.Loopback => SpecialPurposeAddresses.IsGloballyReachable(ip) || IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip),
        _ => SpecialPurposeAddresses.IsGloballyReachable(ip),
    };

    /// <summary>
    /// The allowed addresses <paramref name="host"/> resolves to (a literal is its own); throws
    /// <see cref="BlockedAddressException"/> when there are none.
    /// </summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(Allows).ToArray();
        return allowed.Length > 0
            ? allowed
            : throw new BlockedAddressException(host, addresses.FirstOrDefault());
    }

    /// <summary>
    /// A <c>SocketsHttpHandler.ConnectCallback</c>: resolves the host, keeps only the allowed addresses and connects
    /// to one of them.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var allowed = await ResolveAllowedAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary><see cref="ConnectAsync"/> of <see cref="PublicOnly"/>.</summary>
    public static ValueTask<Stream> ConnectPublicOnlyAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        PublicOnly.ConnectAsync(context, ct);

    /// <summary><c>http.request</c>'s rule: private addresses are allowed when configured or in Development.</summary>
    public static bool AllowPrivate(Configuration.JobQueueSettings settings, bool isDevelopment) => settings.HttpRequestAllowPrivate || isDevelopment;

    /// <summary>
    /// Reads a setting: <c>true</c>/<c>all</c>/<c>1</c> (every address), <c>loopback</c>, <c>false</c>/<c>none</c>/<c>0</c>;
    /// empty gives <paramref name="fallback"/>. Throws <see cref="FormatException"/> naming the setting otherwise.
    /// </summary>
    public static PrivateAddressAccess ParseAccess(string? text, string settingName, PrivateAddressAccess fallback = PrivateAddressAccess.None) =>
        text?.Trim().ToLower(CultureInfo.InvariantCulture) switch
        {
            null or "" => fallback,
            "true" or "all" or "1" => PrivateAddressAccess.All,
            "loopback" => PrivateAddressAccess.Loopback,
            "false" or "none" or "0" => PrivateAddressAccess.None,
            _ => throw new FormatException($"{settingName}='{text}' must be true, loopback or false"),
        };
}

/// <summary>An outbound connection refused by <see cref="OutboundAddressPolicy"/>: the host resolves to no allowed address.</summary>
public sealed class BlockedAddressException(string host, IPAddress? address)
    : Exception(address is null
        ? $"connection to {host} refused: it resolves to no address"
        : $"connection to {host} ({address}) refused: {SpecialPurposeAddresses.Refusal(address) ?? "not allowed by this policy"}")
{
    public string Host { get; } = host;

    public IPAddress? Address { get; } = address;
}
