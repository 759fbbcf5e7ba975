extern alias billing;
extern alias gateway;
extern alias jobsapi;
extern alias scheduler;
extern alias webhooks;

using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy.Model;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// One route the gateway serves: its path as openapi.yaml writes paths (<c>/api/v1/jobs/{id}</c>, constraints left
/// out), the methods it answers (empty: any method, for the gateway's own endpoints that choose theirs inside), and
/// who answers it.
/// </summary>
internal sealed record ServedRoute(string Path, IReadOnlySet<string> Methods, string Owner)
{
    /// <summary>The path with its parameters' names left out: the file may name a parameter as it likes.</summary>
    public string Shape => ShapeOf(Path);

    public static string ShapeOf(string path) => Regex.Replace(path, @"\{[^}]*\}", "{}");
}

/// <summary>
/// Every route the gateway serves, read from the running code rather than from a list that could drift from it: the
/// gateway and each service it forwards to are built in process (WebApplicationFactory, their real Program and
/// Extensions) and their ASP.NET Core <see cref="EndpointDataSource"/> is read once their pipeline is built. A
/// service's route counts only if one of the gateway's YARP routes for that service's cluster matches it (so
/// Jobs.Api's own /health, which the gateway answers itself, does not), and the gateway's own endpoints count too.
/// Nothing is exposed for this: the endpoint tables are read from each host's services, in this process.
/// The hosts get no database or Redis (unreachable addresses) and none of their background services: building the
/// pipeline needs neither, and they must not touch the shared system. Endpoints marked ExcludeFromDescription (the
/// gateway's 404 for unknown /api paths, the API reference itself) are not API operations. The dashboard's cluster
/// (the catch-all: the single-page app's files) is not the API either, and its Program is not public.
/// </summary>
internal static class GatewayRouteTable
{
    /// <summary>YARP cluster ids (GatewayRoutes in Api.Gateway) and the entry points of the services behind them.</summary>
    private static readonly Dictionary<string, Func<IReadOnlyList<RouteEndpoint>>> Services = new()
    {
        ["jobs-api"] = Endpoints<jobsapi::Program>,
        ["scheduler"] = Endpoints<scheduler::Program>,
        ["webhook-dispatcher"] = Endpoints<webhooks::Program>,
        ["billing"] = Endpoints<billing::Program>,
    };

    private const string DashboardCluster = "dashboard";

    public static IReadOnlyList<ServedRoute> Read()
    {
        var gatewayEndpoints = Endpoints<gateway::Program>();
        var proxied = gatewayEndpoints
            .Select(e => (Endpoint: e, Route: e.Metadata.GetMetadata<RouteModel>()))
            .Where(e => e.Route is not null)
            .Select(e => (Cluster: e.Route!.Config.ClusterId!, Matcher: new TemplateMatcher(TemplateParser.Parse(e.Endpoint.RoutePattern.RawText!), [])))
            .ToList();
        Assert.That(
            proxied.Select(p => p.Cluster).Distinct().Where(c => c != DashboardCluster),
            Is.EquivalentTo(Services.Keys),
            "the gateway forwards to a service this test does not read (add its Program to GatewayRouteTable.Services)");

        var routes = gatewayEndpoints
            .Where(e => e.Metadata.GetMetadata<RouteModel>() is null)
            .Select(e => new ServedRoute(PathOf(e), MethodsOf(e), "api-gateway"))
            .ToList();
        foreach (var (cluster, read) in Services)
        {
            var matchers = proxied.Where(p => p.Cluster == cluster).Select(p => p.Matcher).ToList();
            routes.AddRange(read()
                .Select(e => new ServedRoute(PathOf(e), MethodsOf(e), cluster))
                .Where(r => matchers.Any(m => m.TryMatch(SamplePath(r.Path), []))));
        }

        return routes;
    }

    private static IReadOnlyList<RouteEndpoint> Endpoints<TEntryPoint>() where TEntryPoint : class
    {
        using var factory = new RouteReadingFactory<TEntryPoint>();
        return
        [
            .. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }),
        ];
    }

    /// <summary><c>/api/v1/jobs/{id:guid}/</c> → <c>/api/v1/jobs/{id}</c>: a group's "/" leaves a trailing slash.</summary>
    private static string PathOf(RouteEndpoint endpoint)
    {
        var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => $"{{{(parameter.IsCatchAll ? "**" : "")}{parameter.Name}}}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => throw new NotSupportedException(part.GetType().Name),
        }))));
        return path;
    }

    private static IReadOnlySet<string> MethodsOf(RouteEndpoint endpoint) =>
        (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            .Where(m => m != HttpMethods.Head)
            .Select(m => m.ToLowerInvariant())
            .ToHashSet();

    /// <summary>A concrete path of the route (each parameter a sample segment), to ask the gateway's routes whether they forward it.</summary>
    private static string SamplePath(string path) => Regex.Replace(path, @"\{[^}]*\}", "sample");

    private sealed class RouteReadingFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:postgres", "Host=127.0.0.1;Port=9;Database=unreachable;Timeout=1");
            builder.UseSetting("ConnectionStrings:redis", "127.0.0.1:9,abortConnect=false,connectTimeout=100");
            builder.UseSetting("RATE_LIMIT_RPS", "0");
            builder.ConfigureServices(services =>
            {
                // Only the web host itself: the services' background roles (workers of the scheduler, the dispatcher,
                // the caches' Redis subscribers) are not part of the route table.
                var background = services
                    .Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name != "GenericWebHostService")
                    .ToList();
                foreach (var descriptor in background)
                {
                    services.Remove(descriptor);
                }
            });
        }
    }
}
