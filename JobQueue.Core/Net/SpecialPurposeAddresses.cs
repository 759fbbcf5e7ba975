using System.Net;

namespace JobQueue.Core.Net;

/// <summary>
/// One block of the IANA IPv4 and IPv6 Special-Purpose Address Registries (or of the address-space registries where
/// those are silent), with the RFC that assigns it and how an outbound call treats it.
/// </summary>
/// <param name="Network">The block.</param>
/// <param name="Name">The registry's name for it.</param>
/// <param name="Rfc">The RFC the registry cites.</param>
/// <param name="GloballyReachable">The registry's "Globally Reachable" column (N/A, for deprecated and tunnelling
/// blocks, as false); only true is allowed.</param>
/// <param name="Embedded">For blocks that carry an IPv4 address (mapped, NAT64, 6to4, Teredo): the IPv4 addresses a
/// packet really goes to, each judged in its own right; the block's own column does not decide then.</param>
public sealed record SpecialPurposeBlock(IPNetwork Network, string Name, string Rfc, bool GloballyReachable, Func<byte[], IPAddress[]>? Embedded = null)
{
    public override string ToString() => $"{Network} ({Name}, {Rfc})";
}

/// <summary>
/// The address table of <see cref="OutboundAddressPolicy"/>: the IANA IPv4 and IPv6 Special-Purpose Address
/// Registries as last updated 2025-10-09 (iana.org/assignments/iana-ipv4-special-registry, …/iana-ipv6-special-registry),
/// plus the blocks those registries leave to others (IPv4 multicast, IPv6 multicast, site-local, IPv4-compatible and
/// everything outside 2000::/3). An address takes the verdict of the most specific block holding it, as the registry's
/// own exceptions need (192.0.0.9/32 inside 192.0.0.0/24, 2001:1::1/128 inside 2001::/23); an address in no block is
/// an ordinary public IPv4 address.
/// </summary>
public static class SpecialPurposeAddresses
{
    /// <summary>Every block, IPv4 then IPv6, in the registries' order.</summary>
    public static IReadOnlyList<SpecialPurposeBlock> Blocks { get; } =
    [
        // IANA IPv4 Special-Purpose Address Registry
        Refused("0.0.0.0/8", "\"This network\"", "RFC 791 §3.2"),
        Refused("0.0.0.0/32", "\"This host on this network\"", "RFC 1122 §3.2.1.3"),
        Refused("10.0.0.0/8", "Private-Use", "RFC 1918"),
        Refused("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
        Refused("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3"),
        Refused("169.254.0.0/16", "Link Local", "RFC 3927"),
        Refused("172.16.0.0/12", "Private-Use", "RFC 1918"),
        Refused("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 §2.1"),
        Refused("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
        Refused("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
        Reachable("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),
        Reachable("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        Refused("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
        Refused("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2"),
        Refused("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
        Reachable("192.31.196.0/24", "AS112-v4", "RFC 7535"),
        Reachable("192.52.193.0/24", "AMT", "RFC 7450"),
        Refused("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"), // the registry says N/A since deprecation
        Refused("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),
        Refused("192.168.0.0/16", "Private-Use", "RFC 1918"),
        Reachable("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
        Refused("198.18.0.0/15", "Benchmarking", "RFC 2544"),
        Refused("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
        Refused("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
        Refused("240.0.0.0/4", "Reserved", "RFC 1112 §4"),
        Refused("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 §7"),
        // IPv4 Multicast Address Space registry: no unicast connection goes there.
        Refused("224.0.0.0/4", "Multicast", "RFC 5771"),

        // IANA IPv6 Special-Purpose Address Registry
        Refused("::1/128", "Loopback Address", "RFC 4291"),
        Refused("::/128", "Unspecified Address", "RFC 4291"),
        // A dual-stack socket reaches the IPv4 address inside, so that address decides.
        Embeds("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", false, v6 => [V4(v6, 12)]),
        Embeds("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", true, v6 => [V4(v6, 12)]),
        Refused("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", "RFC 8215"),
        // A local translator's usual /96 layout (RFC 6052 §2.2): the translated IPv4 address decides. In any other
        // layout, an address with these zero bits embeds 0.x.x.x, which the translator cannot reach either.
        Embeds("64:ff9b:1::/96", "IPv4-IPv6 Translat. (local use, /96 layout)", "RFC 8215, RFC 6052 §2.2", false, v6 => [V4(v6, 12)]),
        Refused("100::/64", "Discard-Only Address Block", "RFC 6666"),
        Refused("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
        Refused("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
        // The Teredo server's address in bits 32-63, the client's with every bit inverted in the last 32 (RFC 4380 §4).
        Embeds("2001::/32", "TEREDO", "RFC 4380, RFC 8190", false, v6 => [V4(v6, 4), V4(v6, 12, invert: true)]),
        Reachable("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),
        Reachable("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        Reachable("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
        Refused("2001:2::/48", "Benchmarking", "RFC 5180"),
        Reachable("2001:3::/32", "AMT", "RFC 7450"),
        Reachable("2001:4:112::/48", "AS112-v6", "RFC 7535"),
        Refused("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
        Reachable("2001:20::/28", "ORCHIDv2", "RFC 7343"),
        Reachable("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"),
        Refused("2001:db8::/32", "Documentation", "RFC 3849"),
        // The relay's IPv4 address in bits 16-47 (RFC 3056 §2).
        Embeds("2002::/16", "6to4", "RFC 3056", false, v6 => [V4(v6, 2)]),
        Reachable("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
        Refused("3fff::/20", "Documentation", "RFC 9637"),
        Refused("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
        Refused("fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"),
        Refused("fe80::/10", "Link-Local Unicast", "RFC 4291"),

        // Where the IPv6 special-purpose registry is silent (IPv6 Address Space and Multicast registries). Only
        // 2000::/3 is assigned for global unicast; the rest is reserved, so a new special block outside it is refused
        // before anyone adds it here.
        Refused("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291 §2.5.5.1"),
        Refused("fec0::/10", "Site-Local (deprecated)", "RFC 3879"),
        Refused("ff00::/8", "Multicast", "RFC 4291"),
        Refused("::/0", "Reserved by IETF (outside Global Unicast)", "RFC 4291 §2.4"),
        Reachable("2000::/3", "Global Unicast", "RFC 4291 §2.4"),
    ];

    /// <summary>The most specific block holding <paramref name="ip"/>, or null for an ordinary public IPv4 address.</summary>
    public static SpecialPurposeBlock? Find(IPAddress ip)
    {
        SpecialPurposeBlock? best = null;
        foreach (var block in Blocks)
        {
            if (block.Network.Contains(ip) && (best is null || block.Network.PrefixLength > best.Network.PrefixLength))
            {
                best = block;
            }
        }

        return best;
    }

    /// <summary>Why <paramref name="ip"/> is not globally reachable (naming the block and its RFC), or null when it is.</summary>
    public static string? Refusal(IPAddress ip)
    {
        var block = Find(ip);
        if (block?.Embedded is { } embedded)
        {
            foreach (var inner in embedded(ip.GetAddressBytes()))
            {
                if (Refusal(inner) is { } reason)
                {
                    return $"{block} carries {inner}: {reason}";
                }
            }

            return null;
        }

        return block is null || block.GloballyReachable ? null : $"{block} is not globally reachable";
    }

    /// <summary>True when <paramref name="ip"/> may be reached by a call on a tenant's behalf.</summary>
    public static bool IsGloballyReachable(IPAddress ip) => Refusal(ip) is null;

    private static SpecialPurposeBlock Refused(string block, string name, string rfc) => new(IPNetwork.Parse(block), name, rfc, GloballyReachable: false);

    private static SpecialPurposeBlock Reachable(string block, string name, string rfc) => new(IPNetwork.Parse(block), name, rfc, GloballyReachable: true);

    private static SpecialPurposeBlock Embeds(string block, string name, string rfc, bool globallyReachable, Func<byte[], IPAddress[]> embedded) =>
        new(IPNetwork.Parse(block), name, rfc, globallyReachable, embedded);

    private static IPAddress V4(byte[] v6, int offset, bool invert = false)
    {
        var b = v6.AsSpan(offset, 4).ToArray();
        if (invert)
        {
            for (var i = 0; i < b.Length; i++)
            {
                b[i] = (byte)~b[i];
            }
        }

        return new IPAddress(b);
    }
}
