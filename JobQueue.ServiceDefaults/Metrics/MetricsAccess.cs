using System.Security.Cryptography;
using System.Text;
using JobQueue.ServiceDefaults.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace JobQueue.ServiceDefaults.Metrics;

/// <summary>
/// Who may read <c>/metrics</c>. The gateway's exposition names every tenant's job types and volumes, so outside
/// Development it is closed until <c>METRICS_TOKEN</c> is set, and then needs <c>Authorization: Bearer &lt;token&gt;</c>
/// (what Prometheus sends with <c>authorization: {credentials: …}</c> in a scrape config). In Development it is open
/// unless a token is set.
/// </summary>
public sealed record MetricsAccess(string Token, bool OpenWithoutToken)
{
    public const string Setting = "METRICS_TOKEN";

    public static MetricsAccess From(IConfiguration configuration, IHostEnvironment environment) =>
        new(configuration[Setting] ?? "", environment.IsDevelopment());

    /// <summary>Null when the request may read the metrics, else the refusal (status and message).</summary>
    public (int Status, string Message)? Refusal(HttpRequest request)
    {
        if (Token.Length == 0)
        {
            return OpenWithoutToken ? null : (StatusCodes.Status403Forbidden, $"/metrics is closed outside Development until {Setting} is set");
        }

        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(Token))
            ? null
            : (StatusCodes.Status401Unauthorized, "/metrics needs Authorization: Bearer <METRICS_TOKEN>");
    }
}

/// <summary>
/// Applies <see cref="MetricsAccess"/> before anything writes <c>/metrics</c> (the exporter's endpoint, and on the
/// gateway the system section, which is middleware and would otherwise answer without the endpoint's consent). Methods
/// other than GET and HEAD never get here (<see cref="ReadOnlyEndpointsMiddleware"/>).
/// </summary>
public sealed class MetricsAccessMiddleware(RequestDelegate next, MetricsAccess access)
{
    public const string Path = "/metrics";

    public Task InvokeAsync(HttpContext ctx)
    {
        if (!ctx.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase))
        {
            return next(ctx);
        }

        if (access.Refusal(ctx.Request) is not { } refusal)
        {
            return next(ctx);
        }

        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        }

        return ApiResults.WriteErrorAsync(ctx, refusal.Status, refusal.Message);
    }
}
