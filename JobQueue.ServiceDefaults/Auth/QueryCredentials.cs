using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>
/// Endpoint metadata: this endpoint also takes its credential from the query string, <c>?api_key=&lt;key&gt;</c> or
/// <c>?token=&lt;login token or key&gt;</c>. Meant for <c>GET /ws</c> only: a browser's <c>WebSocket</c> cannot send
/// headers. Everywhere else a key in a URL would end up in logs, histories and Referer headers, so it is refused
/// (the original removed its query-string fallback for that reason). Add it with
/// <c>.WithMetadata(new QueryCredentials())</c>; the handler must not log the query string.
/// </summary>
public sealed class QueryCredentials
{
    public const string ApiKeyParameter = "api_key";
    public const string TokenParameter = "token";

    /// <summary>True when the endpoint of <paramref name="context"/> carries this metadata.</summary>
    public static bool AllowedFor(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<QueryCredentials>() is not null;

    /// <summary>
    /// JwtBearer's hook: on such an endpoint, with no Authorization header, the login token comes from
    /// <c>?token=</c> (the pattern ASP.NET documents for SignalR).
    /// </summary>
    public static Task OnMessageReceived(MessageReceivedContext context)
    {
        if (AllowedFor(context.HttpContext)
            && context.Request.Headers.Authorization.Count == 0
            && context.Request.Query[TokenParameter].ToString() is { Length: > 0 } token)
        {
            context.Token = token.Trim();
        }

        return Task.CompletedTask;
    }
}
