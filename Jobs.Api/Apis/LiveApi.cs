using JobQueue.Core.Events;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.ServiceDefaults.Http;
using Jobs.Api.Live;

namespace Jobs.Api.Apis;

/// <summary>
/// <c>GET /ws</c>: the live stream of the caller's job events, worker heartbeats and stats, as WebSocket text frames
/// (see <see cref="LiveFrames"/>). Authenticated like the REST API, before the upgrade (401 in the envelope); a
/// browser, which cannot set headers on a WebSocket, may pass <c>?api_key=</c> or <c>?token=</c> instead.
/// <c>?types=job.completed,job.failed</c> limits the frames to those types.
/// </summary>
public static class LiveApi
{
    public static WebApplication MapLiveApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<LiveOptions>();
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveInterval * 2,
        });
        app.MapGet("/ws", ConnectAsync)
            .WithTags("Live")
            .WithMetadata(new QueryCredentials())
            .AddEndpointFilter<RequireCallerFilter>();
        return app;
    }

    internal static async Task<IResult> ConnectAsync(HttpContext ctx, LiveHub hub, LiveOptions options, IHostApplicationLifetime lifetime)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            return ApiResults.BadRequest(ctx, "/ws is a WebSocket endpoint: open it with a WebSocket client (e.g. websocat \"ws://host/ws?api_key=<key>\")");
        }

        var problem = ReadTypes(ctx, out var types);
        if (problem is not null)
        {
            return ApiResults.BadRequest(ctx, problem);
        }

        // Registered before the upgrade answers, so that whatever happens once the client is connected reaches it.
        using var client = new LiveClient(RequireCallerFilter.Get(ctx).ScopeOwner, types, options.ClientBuffer);
        hub.Add(client);
        try
        {
            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            await client.RunAsync(socket, lifetime.ApplicationStopping);
        }
        finally
        {
            hub.Remove(client);
        }

        return Results.Empty;
    }

    /// <summary><c>?types=a,b</c>: null (every type) when absent; an error naming the unknown type otherwise.</summary>
    private static string? ReadTypes(HttpContext ctx, out IReadOnlySet<string>? types)
    {
        types = null;
        if (ctx.Request.Query["types"].ToString() is not { Length: > 0 } raw)
        {
            return null;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!EventNames.All.Contains(name))
            {
                return $"types: unknown type '{name}' (known: {string.Join(", ", EventNames.All)})";
            }

            set.Add(name);
        }

        types = set;
        return null;
    }
}
