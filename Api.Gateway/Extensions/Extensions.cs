using Api.Gateway.Metrics;
using Api.Gateway.RateLimiting;
using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Api.Gateway.Extensions;

internal static class Extensions
{
    /// <summary>
    /// YARP with routes and clusters built in code from the <c>services:&lt;name&gt;:http:&lt;i&gt;</c> addresses, the
    /// request id forwarded, a /health check per configured service, per-caller rate limits, and Kestrel's own
    /// rejections of unparsable requests in the envelope (<see cref="KestrelRejectionEnvelope"/>).
    /// </summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(KestrelRejectionEnvelope.Use));
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        var trustedProxies = TrustedProxies.Parse(builder.Configuration[TrustedProxies.Setting]);
        builder.Services.AddSingleton(trustedProxies);
        builder.Services.Configure<ForwardedHeadersOptions>(trustedProxies.Configure);
        builder.Services.AddSingleton<GatewayRateLimiter>();
        builder.Services.AddSingleton<SystemMetricsSource>();
        builder.Services.AddReverseProxy()
            .LoadFromMemory(GatewayRoutes.Routes(), GatewayRoutes.Clusters(builder.Configuration))
            .ConfigureHttpClient((_, handler) =>
            {
                // A service that is down refuses at once; one that hangs must not hold a client for YARP's 15 s default.
                handler.ConnectTimeout = TimeSpan.FromSeconds(3);
                // Recycle pooled connections now and then so a replaced replica behind the same address is picked up.
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
            })
            .AddTransforms(t =>
            {
                t.AddRequestTransform(ForwardRequestId);
                // The service echoes the id too; keep one header, not YARP's appended pair.
                t.AddResponseTransform(ctx =>
                {
                    ctx.HttpContext.Response.Headers[RequestIdMiddleware.Header] = RequestIdMiddleware.Get(ctx.HttpContext);
                    return ValueTask.CompletedTask;
                });
            });

        // One small client for the health probes, outside IHttpClientFactory: the defaults' resilience handler would
        // retry a dead service for seconds, and a probe must answer within its two-second budget.
        var probeClient = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        var health = builder.Services.AddHealthChecks();
        foreach (var service in GatewayRoutes.Services)
        {
            var addresses = GatewayRoutes.AddressesOf(builder.Configuration, service);
            if (addresses.Count > 0)
            {
                health.AddCheck(service, new DownstreamHealthCheck(probeClient, addresses), tags: ["ready"]);
            }
        }

        return builder;
    }

    /// <summary>
    /// The proxy, plus the gateway's own 404 for unknown <c>/api/…</c> paths (so they never reach the dashboard).
    /// /health, /alive and /metrics are literal routes and win over the dashboard's catch-all; they are not proxied,
    /// so they are not rate limited. <c>RATE_LIMIT_RPS=0</c> leaves the limiter out of the pipeline altogether.
    /// Behind trusted proxies (<see cref="TrustedProxies"/>), the client address is taken from their X-Forwarded-For
    /// first, so the limiter keys unauthenticated callers by the real client, not by the load balancer.
    /// /metrics also carries the system-wide metrics (<see cref="SystemMetricsMiddleware"/>): middleware added here
    /// still runs before the endpoint, since the host puts routing first and the endpoints last.
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TrustedProxies>().Any)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<SystemMetricsMiddleware>();
        app.Map("/api/{**rest}", (HttpContext ctx) => ApiResults.NotFound(ctx, $"no route for {ctx.Request.Method} {ctx.Request.Path}"))
            .WithOrder(GatewayRoutes.ApiNotFoundOrder)
            .ExcludeFromDescription();

        var rateLimits = app.Services.GetRequiredService<JobQueueSettings>().RateLimitRps > 0;
        app.MapReverseProxy(proxy =>
        {
            if (rateLimits)
            {
                proxy.Use(proxy.ApplicationServices.GetRequiredService<GatewayRateLimiter>().InvokeAsync);
            }

            proxy.Use(ProxyErrorsAsEnvelope);
        });
        return app;
    }

    /// <summary>The downstream service logs and answers with the same id the client sees (made here when the client sent none).</summary>
    private static ValueTask ForwardRequestId(RequestTransformContext ctx)
    {
        var headers = ctx.ProxyRequest.Headers;
        headers.Remove(RequestIdMiddleware.Header);
        headers.TryAddWithoutValidation(RequestIdMiddleware.Header, RequestIdMiddleware.Get(ctx.HttpContext));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// YARP answers a failed forward with a bare status; this gives it the envelope and a message naming the service.
    /// A body announced larger than the limit is refused before a connection to the service is even taken.
    /// </summary>
    private static async Task ProxyErrorsAsEnvelope(HttpContext ctx, Func<Task> next)
    {
        if (ctx.Request.ContentLength is { } length
            && ctx.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max
            && length > max)
        {
            await ApiResults.WriteErrorAsync(ctx, StatusCodes.Status413PayloadTooLarge, "request body too large");
            return;
        }

        await next();

        var error = ctx.GetForwarderErrorFeature();
        if (error is null || ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var service = ctx.GetReverseProxyFeature().Route.Config.ClusterId ?? "the service";
        var (status, message) = Describe(error, service);
        // YARP's own log of the failure (15 KB with its stack trace, for a client's bad upload too) is filtered out in
        // AddGateway; this is the one line that says what happened.
        var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Api.Gateway.Forwarding");
        Log.ForwardFailed(logger, ctx.Request.Method, ctx.Request.Path, status, error.Error, error.Exception?.GetBaseException().Message ?? message);
        if (!ctx.Response.HasStarted)
        {
            await ApiResults.WriteErrorAsync(ctx, status, message);
        }
    }

    private static (int Status, string Message) Describe(IForwarderErrorFeature error, string service)
    {
        for (var e = error.Exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad)
            {
                return bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? (StatusCodes.Status413PayloadTooLarge, "request body too large")
                    : (bad.StatusCode, bad.Message);
            }
        }

        return error.Error switch
        {
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, $"{service} is unavailable: no destination is configured or healthy"),
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, $"{service} did not answer in time"),
            ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled or ForwarderError.RequestCanceled
                => (StatusCodes.Status400BadRequest, "the request body could not be read"),
            _ => (StatusCodes.Status502BadGateway, $"{service} is unavailable"),
        };
    }
}
