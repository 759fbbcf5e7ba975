using Yarp.ReverseProxy.Configuration;

namespace Api.Gateway.Extensions;

/// <summary>
/// The route table of the one public door: which path belongs to which service. Services are named as the AppHost
/// names them; their addresses come from Aspire-style configuration (<c>services__jobs-api__http__0=http://…</c>).
/// </summary>
internal static class GatewayRoutes
{
    public const string JobsApi = "jobs-api";
    public const string Scheduler = "scheduler";
    public const string Webhooks = "webhook-dispatcher";
    public const string Billing = "billing";
    public const string Dashboard = "dashboard";

    public static readonly IReadOnlyList<string> Services = [JobsApi, Scheduler, Webhooks, Billing, Dashboard];

    /// <summary>Order of the gateway's own <c>/api/{**rest}</c> 404 endpoint: after every service route, before the dashboard.</summary>
    public const int ApiNotFoundOrder = 100;

    /// <summary>The dashboard takes whatever nothing else matched (routing excludes <c>/api</c> through the order above).</summary>
    private const int DashboardOrder = 1000;

    // A catch-all matches its bare prefix too ("/api/v1/jobs/{**rest}" matches "/api/v1/jobs"), so one route per prefix.
    private static readonly (string Path, string Service)[] Table =
    [
        ("/api/v1/jobs/{**rest}", JobsApi),
        ("/api/v1/dlq/{**rest}", JobsApi),
        ("/api/v1/stats", JobsApi),
        ("/api/v1/workers/{**rest}", JobsApi),
        ("/ws", JobsApi),
        ("/api/v1/cron/{**rest}", Scheduler),
        ("/api/v1/webhooks/{**rest}", Webhooks),
        ("/auth/{**rest}", Billing),
        ("/portal/{**rest}", Billing),
        ("/api/v1/keys/{**rest}", Billing),
        ("/api/v1/usage", Billing),
        ("/webhooks/stripe", Billing),
    ];

    /// <summary>The configured base addresses of <paramref name="service"/>, one per replica, in index order.</summary>
    public static IReadOnlyList<string> AddressesOf(IConfiguration configuration, string service) =>
        configuration.GetSection($"services:{service}:http").GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
            .Select(c => c.Value!.TrimEnd('/'))
            .ToList();

    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        .. Table.Select((r, i) => new RouteConfig
        {
            RouteId = $"{r.Service}:{i}",
            ClusterId = r.Service,
            Order = 0,
            Match = new RouteMatch { Path = r.Path },
        }),
        new RouteConfig
        {
            RouteId = $"{Dashboard}:catch-all",
            ClusterId = Dashboard,
            Order = DashboardOrder,
            Match = new RouteMatch { Path = "/{**catch-all}" },
        },
    ];

    /// <summary>
    /// One cluster per service and one destination per replica, round robin. A service without an address keeps an
    /// empty cluster, so its paths answer 503 "… is unavailable" rather than a misleading 404.
    /// A replica that dies is taken out of the rotation: an active probe of its <c>/alive</c> every 2 s (two failures
    /// in a row mark it unhealthy, a success brings it back) and passive checks of real traffic (a transport failure rate
    /// over the window takes it out for 10 s). Without them, round robin sent every other request to a dead replica
    /// (502). When no replica looks healthy, requests still go to all of them (HealthyOrPanic) rather than fail at once.
    /// </summary>
    public static IReadOnlyList<ClusterConfig> Clusters(IConfiguration configuration) =>
        Services.Select(service => new ClusterConfig
        {
            ClusterId = service,
            LoadBalancingPolicy = "RoundRobin",
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = "HealthyOrPanic",
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(2),
                    Timeout = TimeSpan.FromSeconds(1),
                    Policy = "ConsecutiveFailures",
                    Path = "/alive",
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = "TransportFailureRate",
                    ReactivationPeriod = TimeSpan.FromSeconds(10),
                },
            },
            Destinations = AddressesOf(configuration, service)
                .Select((address, i) => (address, i))
                .ToDictionary(d => $"{service}/{d.i}", d => new DestinationConfig { Address = d.address }),
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig
            {
                // Plain http between services: HTTP/1.1 on pooled keep-alive connections, no h2 negotiation attempt.
                Version = System.Net.HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            },
        }).ToList();
}
