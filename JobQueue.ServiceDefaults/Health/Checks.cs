using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace JobQueue.ServiceDefaults.Health;

/// <summary>Writes the original's health body <c>{status, checks:{postgres, redis}, uptime}</c> inside the envelope.</summary>
public static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var start = context.RequestServices.GetRequiredService<ServiceStartTime>();
        var checks = report.Entries.Where(e => e.Key != "self")
            .ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy ? "ok" : "error: " + e.Value.Description);
        var data = new
        {
            status = report.Status == HealthStatus.Healthy ? "ok" : "degraded",
            checks,
            uptime = (DateTime.UtcNow - start.Utc).ToString(@"d\.hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture),
        };
        context.Response.ContentType = "application/json";
        var body = new Http.Envelope<object>(data, report.Status == HealthStatus.Healthy ? null : "one or more dependencies are unavailable", Http.RequestIdMiddleware.Get(context));
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Http.JsonDefaults.Options), context.RequestAborted);
    }
}
