using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace JobQueue.ServiceDefaults.Http;

/// <summary>Takes the caller's (or the gateway's) <c>X-Request-Id</c> or makes one, and echoes it on the answer.</summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";
    private const string ItemKey = "jq.request_id";

    public Task InvokeAsync(HttpContext ctx)
    {
        var incoming = ctx.Request.Headers[Header].ToString();
        var id = IsEchoable(incoming) ? incoming : Guid.NewGuid().ToString("N");
        ctx.Items[ItemKey] = id;
        ctx.Response.Headers[Header] = id;
        return next(ctx);
    }

    /// <summary>
    /// Visible ASCII only, at most 128 characters: Kestrel throws when a response header holds anything else, so an
    /// id such as <c>café</c> is replaced, not echoed into a 500.
    /// </summary>
    private static bool IsEchoable(string id)
    {
        if (id.Length is 0 or > 128)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The request id of this request (made on demand if the middleware did not run).</summary>
    public static string Get(HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(ItemKey, out var v) && v is string s)
        {
            return s;
        }

        var id = ctx.Request.Headers[Header].ToString() is { Length: > 0 } h ? h : Guid.NewGuid().ToString("N");
        ctx.Items[ItemKey] = id;
        return id;
    }
}

/// <summary>
/// Refuses a path or query string holding the NUL character (sent as <c>%00</c>) with a 400 naming the parameter,
/// before any route reads it: Postgres text cannot hold NUL (SQLSTATE 22021), so a filter such as <c>?type=%00</c>
/// would otherwise reach the database and fail there. The JSON body has the same rule in <see cref="JsonBody"/>.
/// </summary>
public sealed class NulInRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        // Kestrel refuses a raw NUL byte in the request line, so only the escape can bring one: a cheap test first.
        var query = ctx.Request.QueryString.Value;
        if (query is not null && query.Contains("%00", StringComparison.Ordinal))
        {
            foreach (var (name, values) in ctx.Request.Query)
            {
                if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
                {
                    return ApiResults.WriteErrorAsync(ctx, StatusCodes.Status400BadRequest,
                        $"query parameter '{name.Replace("\0", "\\u0000", StringComparison.Ordinal)}' must not contain the NUL character (%00)");
                }
            }
        }

        return ctx.Request.Path.Value?.Contains('\0', StringComparison.Ordinal) == true
            ? ApiResults.WriteErrorAsync(ctx, StatusCodes.Status400BadRequest, "the path must not contain the NUL character (%00)")
            : next(ctx);
    }
}

/// <summary>
/// Refuses a request header whose value is not ASCII before anything reads it. Kestrel accepts such bytes (it decodes
/// a header as UTF-8 when it is not ASCII), but HttpClient refuses to send them, so the gateway's forward failed and
/// a client's <c>User-Agent: café</c> came back as 502 "jobs-api is unavailable" with a stack trace in the log.
/// A credential header that is not ASCII cannot match any key: 401, as for any other wrong key. One warning line.
/// </summary>
public sealed partial class HeaderTextMiddleware(RequestDelegate next, ILogger<HeaderTextMiddleware> logger)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        foreach (var (name, values) in ctx.Request.Headers)
        {
            foreach (var value in values)
            {
                if (value is null || System.Text.Ascii.IsValid(value))
                {
                    continue;
                }

                LogNonAscii(logger, ctx.Request.Method, ctx.Request.Path, name);
                return IsCredential(name)
                    ? ApiResults.WriteErrorAsync(ctx, StatusCodes.Status401Unauthorized, $"invalid credentials: the {name} header holds characters that are not ASCII")
                    : ApiResults.WriteErrorAsync(ctx, StatusCodes.Status400BadRequest, $"header '{name}' must be ASCII: it holds other characters");
            }
        }

        return next(ctx);
    }

    private static bool IsCredential(string name) =>
        name.Equals("X-API-Key", StringComparison.OrdinalIgnoreCase) || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} refused: header {Header} is not ASCII")]
    private static partial void LogNonAscii(ILogger logger, string method, string path, string header);
}

/// <summary>
/// <c>/health</c>, <c>/alive</c> and <c>/metrics</c> are read-only: any method but GET and HEAD is 405. The endpoints
/// the framework maps for them accept every method, and method metadata on them would only hand a POST to the
/// gateway's catch-all proxy route (a 503 from the dashboard's cluster), so the rule is middleware.
/// </summary>
public sealed class ReadOnlyEndpointsMiddleware(RequestDelegate next)
{
    public static readonly string[] Paths = ["/health", "/alive", "/metrics"];

    public Task InvokeAsync(HttpContext ctx)
    {
        if (HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method))
        {
            return next(ctx);
        }

        foreach (var path in Paths)
        {
            if (ctx.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase))
            {
                ctx.Response.Headers.Allow = "GET, HEAD";
                return ApiResults.WriteErrorAsync(ctx, StatusCodes.Status405MethodNotAllowed, $"method {ctx.Request.Method} is not allowed on {path}: only GET");
            }
        }

        return next(ctx);
    }
}

/// <summary>
/// Turns exceptions into envelope answers: an unreachable Postgres or Redis is 503 (the caller may retry, nothing
/// was accepted), an oversized body 413, unreadable JSON 400, anything else 500 with the request id to quote.
/// </summary>
public sealed partial class ErrorEnvelopeMiddleware(RequestDelegate next, ILogger<ErrorEnvelopeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception ex) when (!ctx.Response.HasStarted && !ctx.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = Classify(ex);
            if (status >= 500)
            {
                LogFailure(logger, ctx.Request.Method, ctx.Request.Path, status, ex);
            }
            else if (ex is PostgresException pg)
            {
                // A value a validator should have refused reached the database: one line to find the gap by, no trace.
                LogUnstorable(logger, ctx.Request.Method, ctx.Request.Path, pg.SqlState, pg.MessageText);
            }
            else
            {
                LogClientError(logger, ctx.Request.Method, ctx.Request.Path, status, message);
            }

            ctx.Response.Clear();
            await ApiResults.WriteErrorAsync(ctx, status, message);
        }
    }

    public static (int Status, string Message) Classify(Exception ex) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (413, "request body too large"),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        JsonException j => (400, "malformed JSON: " + j.Message),
        PostgresException p when IsUnstorableValue(p.SqlState) => (400, "the request holds a value that cannot be stored: " + p.MessageText),
        _ when IsUnavailable(ex) => (503, "storage unavailable, nothing was accepted: retry later"),
        _ => (500, "internal error"),
    };

    /// <summary>True for failures that mean Postgres or Redis cannot be reached (as opposed to a bug).</summary>
    public static bool IsUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException { IsTransient: true }:
                case NpgsqlException when e.InnerException is SocketException or IOException or TimeoutException:
                case PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" }:
                case RedisConnectionException:
                case RedisTimeoutException:
                case SocketException:
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Postgres refusing a value, not failing: 22021 NUL or a byte sequence UTF-8 cannot hold, 22P05 an untranslatable
    /// character (jsonb's \u0000), 22P02 text jsonb cannot parse (a lone surrogate), 22003 a number out of range,
    /// 22001 a string too long for its column, 54000 a value over a size limit. The validators refuse these first
    /// (<c>StorableJson</c>, the length bounds); this keeps a gap there a 400 and not a 500.
    /// </summary>
    public static bool IsUnstorableValue(string sqlState) => sqlState is "22021" or "22P05" or "22P02" or "22003" or "22001" or "54000";

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} refused by Postgres ({SqlState}: {Reason}): a validator should catch this first")]
    private static partial void LogUnstorable(ILogger logger, string method, string path, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}: {Reason}")]
    private static partial void LogClientError(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogFailure(ILogger logger, string method, string path, int status, Exception ex);
}

/// <summary>Gives bodiless error statuses (404 unknown route, 405, 415 …) the envelope.</summary>
public static class StatusCodeEnvelope
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var ctx = context.HttpContext;
        var status = ctx.Response.StatusCode;
        var message = status switch
        {
            404 => $"no route for {ctx.Request.Method} {ctx.Request.Path}",
            405 => $"method {ctx.Request.Method} is not allowed on {ctx.Request.Path}",
            415 => "Content-Type must be application/json",
            401 => "authentication required: send X-API-Key",
            _ => $"request failed with status {status}",
        };
        return ApiResults.WriteErrorAsync(ctx, status, message);
    }
}
