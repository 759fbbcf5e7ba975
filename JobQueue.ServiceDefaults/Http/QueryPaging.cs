using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Http;

/// <summary>
/// <c>limit</c> (1–100, default 20) and <c>offset</c> (≥ 0, default 0) from the query string: the one paging rule of
/// every list route.
/// </summary>
public static class QueryPaging
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>Null when both are valid, else the message for a 400.</summary>
    public static string? TryRead(HttpContext ctx, out int limit, out int offset)
    {
        limit = DefaultLimit;
        offset = 0;
        var q = ctx.Request.Query;
        if (q.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return $"limit must be an integer between 1 and {MaxLimit}, got '{l}'";
        }

        return q.TryGetValue("offset", out var o) && !int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset)
            ? $"offset must be a non-negative integer, got '{o}'"
            : null;
    }
}
