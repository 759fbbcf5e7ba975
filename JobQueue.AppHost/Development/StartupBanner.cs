using Microsoft.Extensions.Configuration;

namespace JobQueue.AppHost.Development;

/// <summary>What <c>./run.sh</c> prints once the gateway is healthy.</summary>
internal static class StartupBanner
{
    /// <summary>Set by the demo account's registration, which finishes before the gateway starts (it waits for billing).</summary>
    public static IReadOnlyList<string> DemoAccountLines { get; set; } = [];

    public static void Print(IConfiguration configuration, AppHostSettings settings)
    {
        List<string> lines = ["", "JobQueue is up.", $"  Gateway (the API, the dashboard):  http://localhost:{settings.GatewayPort}"];
        if (configuration["ASPNETCORE_URLS"]?.Split(';')[0] is { Length: > 0 } aspireDashboard)
        {
            var token = configuration["AppHost:BrowserToken"];
            lines.Add($"  Aspire dashboard (traces, logs):   {aspireDashboard}{(string.IsNullOrEmpty(token) ? string.Empty : $"/login?t={token}")}");
        }

        if (string.IsNullOrEmpty(configuration["API_KEY"]) && configuration["DOTNET_ENVIRONMENT"] is null or "Development")
        {
            lines.Add($"  API key: {AppHostSettings.DevelopmentApiKey} (Development default; set API_KEY to choose another)");
        }

        lines.AddRange(DemoAccountLines.Select(l => "  " + l));
        lines.Add("  Press Ctrl+C to stop.");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}
