using System.Text.Json;
using JobQueue.Core.Validation;
using Microsoft.AspNetCore.Http;

namespace JobQueue.ServiceDefaults.Http;

/// <summary>
/// Reading a JSON request body the same way in every service: 415 without a JSON content type, 400 for malformed
/// JSON (413 comes from Kestrel's body limit), and the <see cref="StorableJson"/> rule (no NUL, valid Unicode,
/// numbers a double can hold) over the whole document, each in the envelope with the reason.
/// </summary>
public static class JsonBody
{
    /// <summary>The body as one JSON document (the caller disposes it), or the error answer.</summary>
    public static async Task<(JsonDocument? Doc, IResult? Error)> ReadAsync(HttpContext ctx, int maxDepth = 64)
    {
        if (!ctx.Request.HasJsonContentType())
        {
            return (null, ApiResults.Error(ctx, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type must be application/json, got '{ctx.Request.ContentType ?? "none"}'"));
        }

        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(ctx.Request.Body, new JsonDocumentOptions { MaxDepth = maxDepth }, ctx.RequestAborted);
        }
        catch (JsonException ex)
        {
            return (null, ApiResults.BadRequest(ctx, "malformed JSON: " + ex.Message));
        }

        if (StorableJson.Check(doc.RootElement) is { } unstorable)
        {
            doc.Dispose();
            return (null, ErrorFor(ctx, unstorable));
        }

        return (doc, null);
    }

    /// <summary>A validator's refusal as an answer: malformed input 400, invalid values 422.</summary>
    public static IResult ErrorFor(HttpContext ctx, RequestError error) =>
        error.Kind == RequestErrorKind.Malformed ? ApiResults.BadRequest(ctx, error.Message) : ApiResults.Unprocessable(ctx, error.Message);
}
