using System.Globalization;
using System.Text.Json;
using JobQueue.Core.Jobs;
using JobQueue.Core.Validation;
using JobQueue.ServiceDefaults.Http;

namespace Jobs.Api.Apis;

/// <summary>Reading request bodies and query strings strictly: every refusal is an envelope with the reason.</summary>
internal static class RequestReading
{
    /// <summary>Reads the body as one JSON document, or returns the error answer (see <see cref="JsonBody"/>).</summary>
    public static Task<(JsonDocument? Doc, IResult? Error)> ReadJsonAsync(HttpContext ctx) => JsonBody.ReadAsync(ctx);

    public static IResult ErrorFor(HttpContext ctx, RequestError error) => JsonBody.ErrorFor(ctx, error);

    public static bool TryId(string raw, out Guid id) => Guid.TryParseExact(raw, "D", out id);

    public static IResult BadId(HttpContext ctx, string what, string raw) =>
        ApiResults.BadRequest(ctx, $"invalid {what} id '{raw}': must be a UUID");

    /// <summary>A boolean query parameter (true/false), <paramref name="fallback"/> when absent.</summary>
    public static string? TryBool(HttpContext ctx, string name, bool fallback, out bool value)
    {
        value = fallback;
        if (!ctx.Request.Query.TryGetValue(name, out var raw))
        {
            return null;
        }

        return bool.TryParse(raw, out value) ? null : $"{name} must be true or false, got '{raw}'";
    }

    /// <summary>Validates status/type/queue/tags filters.</summary>
    public static string? TryFilter(HttpContext ctx, string? owner, out JobQueue.Storage.Postgres.JobListFilter filter)
    {
        filter = new(owner);
        var q = ctx.Request.Query;
        string? status = q["status"];
        string? type = q["type"];
        string? queue = q["queue"];
        if (status is { Length: > 0 } && !JobStatusNames.TryParse(status, out _))
        {
            return $"unknown status '{status}': use one of {string.Join(", ", JobStatusNames.All)}";
        }

        if (queue is { Length: > 0 } && !QueueNames.IsKnown(queue))
        {
            return $"unknown queue '{queue}': use one of {string.Join(", ", QueueNames.All)}";
        }

        var tagError = TagFilter.TryParse(q["tags"], out var tags);
        if (tagError is not null)
        {
            return tagError;
        }

        filter = new(owner, NullIfEmpty(status), NullIfEmpty(type), NullIfEmpty(queue), tags);
        return null;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
