using Scalar.AspNetCore;

namespace Api.Gateway.Extensions;

/// <summary>
/// The API described where its users call it: <c>/openapi.yaml</c> (the file in the repository root, the one
/// OpenApiTests hold true to the server) and <c>/docs</c>, Scalar's reference rendered from it. Scalar's script is
/// embedded in its package and served from here; its web fonts and telemetry are off, so the page loads nothing from
/// another address.
/// </summary>
public static class ApiReference
{
    private const string DocumentPath = "/openapi.yaml";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "openapi.yaml");
        app.MapGet(DocumentPath, () => Results.File(file, "application/yaml; charset=utf-8"))
            .WithOrder(GatewayRoutes.ApiNotFoundOrder)
            .ExcludeFromDescription();
        app.MapScalarApiReference("/docs", options =>
        {
            options.Title = "JobQueue API";
            options.OpenApiRoutePattern = DocumentPath;
            options.DefaultFonts = false;
            options.Telemetry = false;
        });
        return app;
    }
}
