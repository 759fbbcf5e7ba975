using System.Text.Json;
using JobQueue.ServiceDefaults.Http;

namespace Billing.Service.Apis;

/// <summary>
/// Reads the small JSON bodies of the account routes strictly, like Jobs.Api: 415 without a JSON content type,
/// 400 for malformed JSON, a non-object, an unknown field or a value of the wrong type, 422 for a missing field.
/// </summary>
internal static class BodyReading
{
    /// <summary>The string fields of the body (an absent or null field is absent), or the error answer.</summary>
    public static async Task<(Dictionary<string, string>? Fields, IResult? Error)> ReadStringsAsync(
        HttpContext ctx, IReadOnlyCollection<string> allowed, IReadOnlyCollection<string> required, bool bodyOptional = false)
    {
        if (bodyOptional && ctx.Request.ContentLength is 0 or null && !ctx.Request.HasJsonContentType())
        {
            return (new Dictionary<string, string>(StringComparer.Ordinal), null);
        }

        var (doc, error) = await JsonBody.ReadAsync(ctx, maxDepth: 16);
        if (doc is null)
        {
            return (null, error);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiResults.BadRequest(ctx, "expected a JSON object"));
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!allowed.Contains(prop.Name))
                {
                    return (null, ApiResults.BadRequest(ctx, $"unknown field '{prop.Name}'"));
                }

                switch (prop.Value.ValueKind)
                {
                    case JsonValueKind.Null:
                        break;
                    case JsonValueKind.String:
                        fields[prop.Name] = prop.Value.GetString()!;
                        break;
                    default:
                        return (null, ApiResults.BadRequest(ctx, $"'{prop.Name}' must be a string"));
                }
            }

            foreach (var name in required)
            {
                if (!fields.ContainsKey(name))
                {
                    return (null, ApiResults.Unprocessable(ctx, $"'{name}' is required"));
                }
            }

            return (fields, null);
        }
    }
}
