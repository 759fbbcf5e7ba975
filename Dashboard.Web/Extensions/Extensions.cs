using Microsoft.Net.Http.Headers;

namespace Dashboard.Web.Extensions;

/// <summary>
/// Dashboard.Web serves the React app built from <c>client/</c> into <c>wwwroot</c> (by the csproj's ClientBuild
/// target on every <c>dotnet build</c> whose front-end sources changed), its runtime settings at
/// <c>/config.json</c>, and <c>index.html</c> for every other path so deep links (/jobs/…) survive a reload. It calls
/// no API itself: the browser talks to the services through the gateway, on the same origin.
/// </summary>
internal static class Extensions
{
    /// <summary>Vite names every asset by its content hash: a name never changes content, so it is cached for a year.</summary>
    private const string ImmutableAssets = "public, max-age=31536000, immutable";

    public static void AddDashboard(this WebApplicationBuilder builder) =>
        builder.Services.AddSingleton(DashboardSettings.Read(builder.Configuration));

    public static void MapDashboard(this WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context => context.Context.Response.Headers[HeaderNames.CacheControl] =
                context.Context.Request.Path.StartsWithSegments("/assets") ? ImmutableAssets : "no-cache",
        });

        app.MapGet("/config.json", (DashboardSettings settings) => TypedResults.Json(settings.ToClientConfig()))
            .ExcludeFromDescription();

        // index.html is revalidated on every load (no-cache) so a new build's asset names are picked up at once.
        app.MapFallbackToFile("index.html", new StaticFileOptions
        {
            OnPrepareResponse = context => context.Context.Response.Headers[HeaderNames.CacheControl] = "no-cache",
        });
    }
}
