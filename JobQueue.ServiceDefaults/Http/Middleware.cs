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
        var id = incoming.Length is > 0 and <= 128 ? incoming : Guid.NewGuid().ToString("N");
        ctx.Items[ItemKey] = id;
        ctx.Response.Headers[Header] = id;
        return next(ctx);
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

            ctx.Response.Clear();
            await ApiResults.WriteErrorAsync(ctx, status, message);
        }
    }

    public static (int Status, string Message) Classify(Exception ex) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (413, "request body too large"),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        JsonException j => (400, "malformed JSON: " + j.Message),
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
