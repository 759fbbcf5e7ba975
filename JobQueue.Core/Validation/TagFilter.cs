using System.Text.Json;

namespace JobQueue.Core.Validation;

/// <summary>Parses the <c>tags=k:v,k2:v2</c> query filter into a JSON object for a <c>@&gt;</c> containment match.</summary>
public static class TagFilter
{
    /// <summary>Returns null and a JSON object text, or an error message.</summary>
    public static string? TryParse(string? query, out string? json)
    {
        json = null;
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return $"tags filter must look like key:value,key2:value2; '{pair}' has no key:value";
            }

            map[pair[..colon]] = pair[(colon + 1)..];
        }

        json = map.Count == 0 ? null : JsonSerializer.Serialize(map);
        return null;
    }
}
