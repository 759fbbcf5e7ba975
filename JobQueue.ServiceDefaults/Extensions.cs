using JobQueue.Core.Configuration;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Health;
using JobQueue.ServiceDefaults;
using JobQueue.ServiceDefaults.Http;
using JobQueue.ServiceDefaults.Metrics;
using Microsoft.AspNetCore.Hosting;
using JobQueue.Storage.Redis;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every JobQueue service shares, in the shape of Aspire's ServiceDefaults: telemetry, health, service
/// discovery, resilience, the Postgres and Redis clients, settings, the JSON envelope and authentication.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Meter and activity-source names of our own code (each service creates its meters under this prefix).</summary>
    public const string TelemetryPrefix = "JobQueue";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var settings = JobQueueSettings.From(key => builder.Configuration[key]);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(MetricsAccess.From(builder.Configuration, builder.Environment));

        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        builder.Services.AddSingleton(new ServiceStartTime(DateTime.UtcNow));
        builder.Services.ConfigureHttpJsonOptions(o => JsonDefaults.Apply(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddRequestTimeouts();
        if (builder is WebApplicationBuilder web)
        {
            web.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes);
        }

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Per-request Information logs cost the gateway ~9 ms at p99 under load (measured): keep framework chatter at Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // The standard resilience handler logs each attempt of every client call at Information: one line per OTLP
        // export, every few seconds, in every service. Retries and breaks are Warning and still show.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter(TelemetryPrefix + ".*")
                .AddPrometheusExporter());

        // Spans are recorded only when they can go somewhere: with no OTLP endpoint, sampling every request would cost
        // CPU on the hot path for nothing. W3C trace context still flows (ASP.NET Core and HttpClient propagate it).
        if (!otlp)
        {
            return builder;
        }

        telemetry.WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + ".*")
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments("/health") && !ctx.Request.Path.StartsWithSegments("/alive") && !ctx.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation());

        // OTLP only when an endpoint is configured, as Aspire's ServiceDefaults do. The exporters retry on their own
        // schedule and report through their EventSource: without the resilience handler a collector that is away
        // costs no warning lines in the services' logs.
        telemetry.UseOtlpExporter();
        foreach (var exporterClient in (string[])["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"])
        {
#pragma warning disable EXTEXP0001 // evaluation API; the stable alternative would be to give up the defaults for every client
            builder.Services.AddHttpClient(exporterClient).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Postgres and Redis add their readiness checks with the storage module (AddJobQueueStorage).
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// <c>/health</c> (Postgres and Redis reachable: 200, else 503, in the envelope as the original),
    /// <c>/alive</c> (the process answers) and <c>/metrics</c> (Prometheus text, behind
    /// <see cref="MetricsAccessMiddleware"/>); all three GET and HEAD only, anything else 405.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseMiddleware<ReadOnlyEndpointsMiddleware>();
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("ready") || r.Tags.Contains("live"),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live"), ResponseWriter = HealthResponse.WriteAsync });
        app.UseMiddleware<MetricsAccessMiddleware>();
        app.MapPrometheusScrapingEndpoint(MetricsAccessMiddleware.Path);
        return app;
    }

    /// <summary>
    /// The HTTP pipeline every API shares: request id, the JSON envelope for errors (including 404/405 and
    /// unhandled exceptions), 503 when Postgres or Redis is unreachable, and 400 for header or query text that
    /// cannot travel further (not ASCII, NUL).
    /// </summary>
    public static WebApplication UseJobQueueApiDefaults(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<ErrorEnvelopeMiddleware>();
        app.UseMiddleware<HeaderTextMiddleware>();
        app.UseMiddleware<NulInRequestMiddleware>();
        app.UseStatusCodePages(StatusCodeEnvelope.WriteAsync);
        return app;
    }
}

/// <summary>When the process started (for <c>uptime</c> in /health).</summary>
public sealed record ServiceStartTime(DateTime Utc);
