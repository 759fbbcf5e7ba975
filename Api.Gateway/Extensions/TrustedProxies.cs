using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Api.Gateway.Extensions;

/// <summary>
/// <c>TRUSTED_PROXIES</c>: the load balancers or ingresses in front of the gateway whose <c>X-Forwarded-For</c> names
/// the client, as a comma-separated list of addresses and CIDR networks (<c>10.0.0.0/8,127.0.0.1</c>). Empty (the
/// default) trusts nobody: the client is the TCP peer, and a header a client sends itself changes nothing.
/// </summary>
internal sealed record TrustedProxies(IReadOnlyList<IPAddress> Proxies, IReadOnlyList<IPNetwork> Networks)
{
    public const string Setting = "TRUSTED_PROXIES";

    public bool Any => Proxies.Count > 0 || Networks.Count > 0;

    /// <summary>Reads the setting; throws <see cref="FormatException"/> naming it and the entry it cannot read.</summary>
    public static TrustedProxies Parse(string? text)
    {
        var proxies = new List<IPAddress>();
        var networks = new List<IPNetwork>();
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/') && IPNetwork.TryParse(entry, out var network))
            {
                // IPNetwork reads 10.0.0.1/8 as 10.0.0.0/8 without a word; such a typo usually meant one proxy or a
                // narrower network, never sixteen million addresses.
                if (!IPAddress.Parse(entry[..entry.IndexOf('/')]).Equals(network.BaseAddress))
                {
                    throw new FormatException($"{Setting}: '{entry}' has bits set after its /{network.PrefixLength} prefix: write {network} for the network, or the address alone for one proxy");
                }

                networks.Add(network);
            }
            else if (!entry.Contains('/') && IPAddress.TryParse(entry, out var address))
            {
                proxies.Add(address);
            }
            else
            {
                throw new FormatException($"{Setting}: '{entry}' is neither an IP address nor a network such as 10.0.0.0/8");
            }
        }

        return new(proxies, networks);
    }

    /// <summary>
    /// The forwarded-headers middleware's options: only <c>X-Forwarded-For</c>, only from these proxies (ASP.NET Core's
    /// default trust of loopback is dropped), walked from the right through as many trusted hops as there are, so a
    /// chain of trusted proxies yields the client and anything the client wrote itself further left is ignored.
    /// </summary>
    public void Configure(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        options.ForwardLimit = null;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in Proxies)
        {
            options.KnownProxies.Add(proxy);
        }

        foreach (var network in Networks)
        {
            options.KnownIPNetworks.Add(network);
        }
    }
}
