using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace JobQueue.ServiceDefaults.Health;

/// <summary>
/// Writes the original's health body <c>{status, checks:{postgres, redis}, uptime}</c> at the top level, not in the
/// envelope: the original's SDKs (Go <c>Health</c>, Node <c>health()</c>, Python <c>health()</c>) read
/// <c>status</c> from the root of the body.
/// </summary>
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
        return context.Response.WriteAsync(JsonSerializer.Serialize(data, Http.JsonDefaults.Options), context.RequestAborted);
    }
}
