using System.Net;
using Api.Gateway.Extensions;

namespace Api.Gateway.Tests;

/// <summary>Reading <c>TRUSTED_PROXIES</c>.</summary>
public sealed class TrustedProxiesTests
{
    [Test]
    public void Parse_ReadsAddressesAndNetworks()
    {
        var trusted = TrustedProxies.Parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8");

        Assert.That(trusted.Proxies, Is.EqualTo(new[] { IPAddress.Parse("127.0.0.1") }));
        Assert.That(trusted.Networks.Select(n => n.ToString()), Is.EqualTo(new[] { "10.0.0.0/8", "fd00::/8" }));
    }

    [TestCase(null)]
    [TestCase("")]
    public void Parse_TrustsNobody_WhenUnset(string? text) =>
        Assert.That(TrustedProxies.Parse(text).Any, Is.False);

    [TestCase("10.0.0.0/33")]
    [TestCase("proxy.internal")]
    public void Parse_NamesTheSettingAndTheEntry_ItCannotRead(string entry) =>
        Assert.That(() => TrustedProxies.Parse("127.0.0.1," + entry), Throws.TypeOf<FormatException>().With.Message.Contains("TRUSTED_PROXIES").And.Message.Contains(entry));

    [TestCase("10.0.0.1/8", "10.0.0.0/8")]
    [TestCase("192.168.1.77/24", "192.168.1.0/24")]
    [TestCase("fd00::1/8", "fd00::/8")]
    public void Parse_RefusesANetworkWithHostBitsSet_AndSaysWhichWasMeant(string entry, string meant) =>
        Assert.That(() => TrustedProxies.Parse(entry), Throws.TypeOf<FormatException>().With.Message.Contains(entry).And.Message.Contains(meant));
}
