using System.Net;
using JobQueue.Core.Net;

namespace JobQueue.Core.Tests;

/// <summary>
/// The outbound address rule over the IANA IPv4 and IPv6 Special-Purpose Address Registries (2025-10-09 snapshot):
/// for every row, addresses inside take the registry's "Globally Reachable" verdict, and the addresses just outside
/// it are accepted where they are ordinary public addresses. The rows are written out here, not read from the table
/// under test, so a row dropped or mistyped there fails.
/// </summary>
public sealed class OutboundAddressPolicyTests
{
    private sealed record Row(string Block, string Rfc, bool Reachable, string[] Inside, string[] Outside);

    private static readonly Row[] Registry =
    [
        // IPv4 Special-Purpose Address Registry
        new("0.0.0.0/8", "RFC 791", false, ["0.0.0.0", "0.1.2.3", "0.255.255.255"], ["1.0.0.0"]),
        new("10.0.0.0/8", "RFC 1918", false, ["10.0.0.0", "10.255.255.255"], ["9.255.255.255", "11.0.0.0"]),
        new("100.64.0.0/10", "RFC 6598", false, ["100.64.0.0", "100.127.255.255"], ["100.63.255.255", "100.128.0.0"]),
        new("127.0.0.0/8", "RFC 1122", false, ["127.0.0.1", "127.255.255.255"], ["126.255.255.255", "128.0.0.0"]),
        new("169.254.0.0/16", "RFC 3927", false, ["169.254.0.0", "169.254.169.254"], ["169.253.255.255", "169.255.0.0"]),
        new("172.16.0.0/12", "RFC 1918", false, ["172.16.0.0", "172.31.255.255"], ["172.15.255.255", "172.32.0.0"]),
        new("192.0.0.0/24", "RFC 6890", false, ["192.0.0.0", "192.0.0.8", "192.0.0.11", "192.0.0.170", "192.0.0.171", "192.0.0.255"], ["191.255.255.255", "192.0.1.0"]),
        new("192.0.0.9/32", "RFC 7723", true, ["192.0.0.9"], []),
        new("192.0.0.10/32", "RFC 8155", true, ["192.0.0.10"], []),
        new("192.0.2.0/24", "RFC 5737", false, ["192.0.2.0", "192.0.2.255"], ["192.0.1.255", "192.0.3.0"]),
        new("192.31.196.0/24", "RFC 7535", true, ["192.31.196.1"], []),
        new("192.52.193.0/24", "RFC 7450", true, ["192.52.193.1"], []),
        new("192.88.99.0/24", "RFC 7526", false, ["192.88.99.0", "192.88.99.2", "192.88.99.255"], ["192.88.98.255", "192.88.100.0"]),
        new("192.168.0.0/16", "RFC 1918", false, ["192.168.0.0", "192.168.255.255"], ["192.167.255.255", "192.169.0.0"]),
        new("192.175.48.0/24", "RFC 7534", true, ["192.175.48.1"], []),
        new("198.18.0.0/15", "RFC 2544", false, ["198.18.0.0", "198.19.255.255"], ["198.17.255.255", "198.20.0.0"]),
        new("198.51.100.0/24", "RFC 5737", false, ["198.51.100.0", "198.51.100.255"], ["198.51.99.255", "198.51.101.0"]),
        new("203.0.113.0/24", "RFC 5737", false, ["203.0.113.0", "203.0.113.255"], ["203.0.112.255", "203.0.114.0"]),
        new("240.0.0.0/4", "RFC 1112", false, ["240.0.0.0", "255.255.255.254"], []),
        new("255.255.255.255/32", "RFC 919", false, ["255.255.255.255"], []),
        new("224.0.0.0/4 (multicast)", "RFC 5771", false, ["224.0.0.1", "239.255.255.255"], ["223.255.255.255"]),

        // IPv6 Special-Purpose Address Registry
        new("::1/128", "RFC 4291", false, ["::1"], []),
        new("::/128", "RFC 4291", false, ["::"], []),
        new("::ffff:0:0/96 (judged by the IPv4 inside)", "RFC 4291", false, ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.0.2.1"], ["::ffff:8.8.8.8"]),
        new("64:ff9b::/96 (judged by the IPv4 inside)", "RFC 6052", false, ["64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b::c000:201"], ["64:ff9b::808:808"]),
        new("64:ff9b:1::/48", "RFC 8215", false, ["64:ff9b:1::a00:1", "64:ff9b:1:1::808:808", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"], ["64:ff9b:1::808:808"]),
        new("100::/64", "RFC 6666", false, ["100::", "100::ffff:ffff:ffff:ffff"], []),
        new("100:0:0:1::/64", "RFC 9780", false, ["100:0:0:1::1"], []),
        new("2001::/23", "RFC 2928", false, ["2001:1::4", "2001:5::1", "2001:1ff:ffff:ffff::"], ["2001:200::1", "2000:ffff:ffff:ffff::"]),
        // Teredo: server 65.54.227.120 and client 8.8.8.8 (bits inverted) are public; 10.0.0.1 and 192.168.1.1 are not.
        new("2001::/32 Teredo (judged by the server and client IPv4)", "RFC 4380", false,
            ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001:0:c0a8:101:8000:63bf:f7f7:f7f7", "2001:0:4136:e378:8000:63bf:3fff:fdd2"],
            ["2001:0:4136:e378:8000:63bf:f7f7:f7f7"]),
        new("2001:1::1/128", "RFC 7723", true, ["2001:1::1"], []),
        new("2001:1::2/128", "RFC 8155", true, ["2001:1::2"], []),
        new("2001:1::3/128", "RFC 9665", true, ["2001:1::3"], []),
        new("2001:2::/48", "RFC 5180", false, ["2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"], []),
        new("2001:3::/32", "RFC 7450", true, ["2001:3::1"], []),
        new("2001:4:112::/48", "RFC 7535", true, ["2001:4:112::1"], []),
        new("2001:10::/28", "RFC 4843", false, ["2001:10::1", "2001:1f::1"], []),
        new("2001:20::/28", "RFC 7343", true, ["2001:20::1"], []),
        new("2001:30::/28", "RFC 9374", true, ["2001:30::1"], []),
        new("2001:db8::/32", "RFC 3849", false, ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], ["2001:db7:ffff:ffff::", "2001:db9::"]),
        new("2002::/16 6to4 (judged by the IPv4 inside)", "RFC 3056", false, ["2002:a9fe:a9fe::", "2002:c0a8:101::1", "2002:7f00:1::", "2002:a00:1::"], ["2002:808:808::1"]),
        new("2620:4f:8000::/48", "RFC 7534", true, ["2620:4f:8000::1"], []),
        new("3fff::/20", "RFC 9637", false, ["3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"], ["3ffe:ffff:ffff:ffff::", "3fff:1000::"]),
        new("5f00::/16", "RFC 9602", false, ["5f00::1", "5f00:ffff::1"], []),
        new("fc00::/7", "RFC 4193", false, ["fc00::1", "fd00::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], []),
        new("fe80::/10", "RFC 4291", false, ["fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], []),

        // Outside the special-purpose registry
        new("::/96 IPv4-compatible (deprecated)", "RFC 4291", false, ["::169.254.169.254", "::10.0.0.1", "::8.8.8.8"], []),
        new("fec0::/10 site-local (deprecated)", "RFC 3879", false, ["fec0::1"], []),
        new("ff00::/8 multicast", "RFC 4291", false, ["ff02::1", "ff0e::1"], []),
        new("outside 2000::/3 (not global unicast)", "RFC 4291", false, ["4000::1", "1fff:ffff::1", "e000::1", "::ffff:0:808:808"], ["2000::1", "3fff:ffff:ffff:ffff::"]),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var row in Registry)
        {
            foreach (var ip in row.Inside)
            {
                yield return new TestCaseData(ip, row.Reachable).SetName($"{row.Block} {row.Rfc}: {ip} is {(row.Reachable ? "allowed" : "refused")}");
            }

            foreach (var ip in row.Outside)
            {
                yield return new TestCaseData(ip, true).SetName($"{row.Block} {row.Rfc}: {ip} just outside is allowed");
            }
        }

        foreach (var ip in new[] { "8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888" })
        {
            yield return new TestCaseData(ip, true).SetName($"public: {ip} is allowed");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void PublicOnly_AllowsOnlyGloballyReachableAddresses(string ip, bool allowed) =>
        Assert.That(OutboundAddressPolicy.PublicOnly.Allows(IPAddress.Parse(ip)), Is.EqualTo(allowed));

    [TestCase("192.0.2.1", "192.0.2.0/24 (Documentation (TEST-NET-1), RFC 5737) is not globally reachable")]
    [TestCase("2002:a9fe:a9fe::", "2002::/16 (6to4, RFC 3056) carries 169.254.169.254: 169.254.0.0/16 (Link Local, RFC 3927) is not globally reachable")]
    public void Refusal_NamesTheBlockAndItsRfc(string ip, string reason) =>
        Assert.That(SpecialPurposeAddresses.Refusal(IPAddress.Parse(ip)), Is.EqualTo(reason));

    /// <summary>
    /// The check the connect step (<see cref="OutboundAddressPolicy.ConnectAsync"/>) makes before dialling, on the host
    /// as SocketsHttpHandler hands it over: none of these literals is dialled.
    /// </summary>
    [TestCase("::169.254.169.254")]
    [TestCase("2002:a9fe:a9fe::")]
    [TestCase("2001:0:4136:e378:8000:63bf:f5ff:fffe")]
    [TestCase("198.18.0.1")]
    [TestCase("192.0.2.1")]
    public async Task ResolveAllowed_RefusesTheLiteral_BeforeAnyConnection(string host)
    {
        var ex = await Assert.ThrowsAsync<BlockedAddressException>(() => OutboundAddressPolicy.PublicOnly.ResolveAllowedAsync(host, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("is not globally reachable"));
    }

    [Test]
    public void Loopback_AllowsLoopbackOnly_AmongTheRefused()
    {
        var policy = new OutboundAddressPolicy(PrivateAddressAccess.Loopback);

        Assert.That(new[] { "127.0.0.1", "::1", "::ffff:127.0.0.1", "192.0.2.1", "64:ff9b::7f00:1" }.Select(ip => policy.Allows(IPAddress.Parse(ip))),
            Is.EqualTo(new[] { true, true, true, false, false }));
    }
}
