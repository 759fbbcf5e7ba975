using System.Text.Json.Serialization;

namespace Dashboard.Web.Extensions;

/// <summary>
/// What the browser app needs to know about its surroundings. <c>ASPIRE_DASHBOARD_URL</c> (set by the AppHost when the
/// Aspire dashboard runs) lets a job's page link its trace id to the trace there.
/// </summary>
public sealed record DashboardSettings(Uri? AspireDashboardUrl)
{
    public static DashboardSettings Read(IConfiguration config) =>
        new(Uri.TryCreate(config["ASPIRE_DASHBOARD_URL"], UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null);

    public ClientConfig ToClientConfig() => new(AspireDashboardUrl?.ToString().TrimEnd('/'));
}

/// <summary>The body of <c>/config.json</c>.</summary>
public sealed record ClientConfig([property: JsonPropertyName("aspire_dashboard_url")] string? AspireDashboardUrl);
