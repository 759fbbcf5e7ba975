using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Http;

/// <summary>The one shape of every answer: <c>{"data": …, "error": null | "message", "meta": {"request_id": …}}</c>.</summary>
public sealed record Envelope<T>(
    [property: JsonPropertyName("data")] T? Data,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("meta")] EnvelopeMeta Meta)
{
    public Envelope(T? data, string? error, string requestId) : this(data, error, new EnvelopeMeta(requestId)) { }
}

/// <summary>Request id, plus the offset-pagination fields on list answers.</summary>
public sealed record EnvelopeMeta(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("total_count"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? TotalCount = null,
    [property: JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Limit = null,
    [property: JsonPropertyName("offset"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Offset = null,
    [property: JsonPropertyName("has_more"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? HasMore = null);

/// <summary>JSON conventions of the API: snake_case names, nulls written, UTC timestamps.</summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = Apply(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Apply(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        // Messages quote values ('x'); the relaxed encoder keeps them readable instead of \u0027. Responses are JSON, never HTML.
        o.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return o;
    }
}

/// <summary>Writes a string property that already holds JSON text as that JSON, untouched.</summary>
public sealed class RawJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return doc.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value, skipInputValidation: true);
}

/// <summary>Envelope answers for minimal-API handlers.</summary>
public static class ApiResults
{
    public static IResult Ok<T>(HttpContext ctx, T data) => Write(ctx, StatusCodes.Status200OK, data, null);

    public static IResult Created<T>(HttpContext ctx, T data) => Write(ctx, StatusCodes.Status201Created, data, null);

    public static IResult Accepted<T>(HttpContext ctx, T data) => Write(ctx, StatusCodes.Status202Accepted, data, null);

    public static IResult Page<T>(HttpContext ctx, IReadOnlyList<T> items, long total, int limit, int offset) =>
        TypedResults.Json(
            new Envelope<IReadOnlyList<T>>(items, null, new EnvelopeMeta(RequestIdMiddleware.Get(ctx), total, limit, offset, offset + items.Count < total)),
            JsonDefaults.Options, statusCode: StatusCodes.Status200OK);

    public static IResult Error(HttpContext ctx, int status, string message) => Write<object>(ctx, status, null, message);

    public static IResult BadRequest(HttpContext ctx, string message) => Error(ctx, StatusCodes.Status400BadRequest, message);

    public static IResult NotFound(HttpContext ctx, string message) => Error(ctx, StatusCodes.Status404NotFound, message);

    public static IResult Conflict(HttpContext ctx, string message) => Error(ctx, StatusCodes.Status409Conflict, message);

    public static IResult Unprocessable(HttpContext ctx, string message) => Error(ctx, StatusCodes.Status422UnprocessableEntity, message);

    private static IResult Write<T>(HttpContext ctx, int status, T? data, string? error) =>
        TypedResults.Json(new Envelope<T>(data, error, RequestIdMiddleware.Get(ctx)), JsonDefaults.Options, statusCode: status);

    /// <summary>Writes an error envelope straight to the response (middleware, where no IResult is executed).</summary>
    public static async Task WriteErrorAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(ctx.Response.Body, new Envelope<object>(null, message, RequestIdMiddleware.Get(ctx)), JsonDefaults.Options, ctx.RequestAborted);
    }
}
