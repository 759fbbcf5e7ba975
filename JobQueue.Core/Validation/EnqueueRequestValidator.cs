using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using JobQueue.Core.Jobs;

namespace JobQueue.Core.Validation;

/// <summary>
/// Checks enqueue requests field by field against the raw JSON, so a wrong type is named as such instead of being
/// coerced (the original silently turned priority 42 into 5). Unknown fields are refused, as in the original.
/// </summary>
public static partial class EnqueueRequestValidator
{
    private static readonly HashSet<string> KnownFields =
    [
        "type", "payload", "priority", "max_attempts", "queue_name", "scheduled_at", "ttl_seconds", "timeout_seconds", "tags",
    ];

    /// <summary>Longest accepted job type name.</summary>
    public const int MaxTypeLength = 200;

    /// <summary>Longest accepted timeout (one day): a longer job should checkpoint and re-enqueue itself.</summary>
    public const int MaxTimeoutSeconds = 86_400;

    /// <summary>Upper bound of max_attempts, so a typo cannot retry a job for ever.</summary>
    public const int MaxMaxAttempts = 100;

    /// <summary>Most tags on one job (BullMQ and Sidekiq keep tags to a handful; 50 leaves room and bounds the index).</summary>
    public const int MaxTags = 50;

    /// <summary>Longest tag name: a key such as <c>customer_id</c>, not data.</summary>
    public const int MaxTagNameLength = 64;

    /// <summary>Longest tag value: an id, a URL path or a short label; larger data belongs in the payload.</summary>
    public const int MaxTagValueLength = 256;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    /// <summary>
    /// Validates one request object. <paramref name="now"/> clamps past <c>scheduled_at</c> values (they run at once),
    /// <paramref name="defaultMaxAttempts"/> fills a missing <c>max_attempts</c>.
    /// </summary>
    public static RequestError? TryValidate(JsonElement element, DateTime now, int defaultMaxAttempts, out EnqueueSpec? spec, string where = "")
    {
        spec = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Malformed(where, $"expected a JSON object, got {Describe(element.ValueKind)}");
        }

        string? type = null;
        var payload = "{}";
        var priority = JobDefaults.Priority;
        var maxAttempts = defaultMaxAttempts;
        var queue = QueueNames.Default;
        var scheduledAt = now;
        int? ttl = null;
        int? timeout = null;
        var tags = "{}";

        foreach (var prop in element.EnumerateObject())
        {
            var v = prop.Value;
            switch (prop.Name)
            {
                case "type":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (v.ValueKind != JsonValueKind.String) { return Malformed(where, $"'type' must be a string, got {Describe(v.ValueKind)}"); }
                    type = v.GetString();
                    break;
                case "payload":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (v.ValueKind != JsonValueKind.Object) { return Malformed(where, $"'payload' must be a JSON object, got {Describe(v.ValueKind)}"); }
                    payload = v.GetRawText();
                    break;
                case "priority":
                    if (!TryInt(v, out priority)) { return Malformed(where, $"'priority' must be an integer, got {Describe(v)}"); }
                    if (priority is < JobDefaults.MinPriority or > JobDefaults.MaxPriority) { return Invalid(where, $"'priority' must be between 1 and 10, got {priority}"); }
                    break;
                case "max_attempts":
                    if (!TryInt(v, out maxAttempts)) { return Malformed(where, $"'max_attempts' must be an integer, got {Describe(v)}"); }
                    if (maxAttempts is < 1 or > MaxMaxAttempts) { return Invalid(where, $"'max_attempts' must be between 1 and {MaxMaxAttempts}, got {maxAttempts}"); }
                    break;
                case "queue_name":
                    if (v.ValueKind != JsonValueKind.String) { return Malformed(where, $"'queue_name' must be a string, got {Describe(v.ValueKind)}"); }
                    queue = v.GetString()!;
                    if (!QueueNames.IsKnown(queue)) { return Invalid(where, $"unknown queue '{queue}': use one of {string.Join(", ", QueueNames.All)}"); }
                    break;
                case "scheduled_at":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (v.ValueKind != JsonValueKind.String) { return Malformed(where, $"'scheduled_at' must be an RFC 3339 string, got {Describe(v.ValueKind)}"); }
                    if (!TryParseRfc3339(v.GetString()!, out var at)) { return Invalid(where, $"'scheduled_at' is not an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05Z): '{v.GetString()}'"); }
                    scheduledAt = at > now ? at : now;
                    break;
                case "ttl_seconds":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (!TryInt(v, out var t)) { return Malformed(where, $"'ttl_seconds' must be an integer, got {Describe(v)}"); }
                    if (t < 0) { return Invalid(where, $"'ttl_seconds' must not be negative, got {t}"); }
                    ttl = t;
                    break;
                case "timeout_seconds":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (!TryInt(v, out var to)) { return Malformed(where, $"'timeout_seconds' must be an integer, got {Describe(v)}"); }
                    if (to is < 1 or > MaxTimeoutSeconds) { return Invalid(where, $"'timeout_seconds' must be between 1 and {MaxTimeoutSeconds}, got {to}"); }
                    timeout = to;
                    break;
                case "tags":
                    if (v.ValueKind == JsonValueKind.Null) { break; }
                    if (CheckTags(v, where) is { } tagError) { return tagError; }
                    tags = v.GetRawText();
                    break;
                default:
                    return Malformed(where, KnownFields.Contains(prop.Name) ? $"field '{prop.Name}' is not accepted" : $"unknown field '{prop.Name}'");
            }
        }

        if (type is null)
        {
            return Invalid(where, "'type' is required");
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            return Invalid(where, "'type' must not be empty");
        }

        if (type.Length > MaxTypeLength)
        {
            return Invalid(where, $"'type' must be at most {MaxTypeLength} characters");
        }

        spec = new EnqueueSpec(type, payload, priority, maxAttempts, queue, scheduledAt, ttl, timeout, tags);
        return null;
    }

    /// <summary>Validates a batch: an array of 1..500 request objects; the first bad item refuses the whole batch.</summary>
    public static RequestError? TryValidateBatch(JsonElement element, DateTime now, int defaultMaxAttempts, out List<EnqueueSpec> specs)
    {
        specs = [];
        if (element.ValueKind != JsonValueKind.Array)
        {
            return new RequestError(RequestErrorKind.Malformed, $"a batch must be a JSON array of jobs, got {Describe(element.ValueKind)}");
        }

        var count = element.GetArrayLength();
        if (count == 0)
        {
            return new RequestError(RequestErrorKind.Invalid, "a batch must hold at least 1 job");
        }

        if (count > JobDefaults.MaxBatch)
        {
            return new RequestError(RequestErrorKind.Invalid, $"a batch holds at most {JobDefaults.MaxBatch} jobs, got {count}");
        }

        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var error = TryValidate(item, now, defaultMaxAttempts, out var spec, $"job[{i}]: ");
            if (error is not null)
            {
                return error;
            }

            specs.Add(spec!);
            i++;
        }

        return null;
    }

    /// <summary>Parses a strict RFC 3339 timestamp (offset or Z required) to UTC.</summary>
    public static bool TryParseRfc3339(string text, out DateTime utc)
    {
        utc = default;
        if (!Rfc3339().IsMatch(text))
        {
            return false;
        }

        // .NET keeps 7 fractional digits; RFC 3339 allows nanoseconds (Go clients send 9): drop the extra two.
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) { end++; }
            if (end - dot - 1 > 7) { text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end)); }
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto))
        {
            return false;
        }

        utc = dto.UtcDateTime;
        return true;
    }

    /// <summary>
    /// Checks a <c>tags</c> value: an object of at most <see cref="MaxTags"/> strings whose names (at most
    /// <see cref="MaxTagNameLength"/> characters) hold neither ':' nor ',' (the filter syntax), each value at most
    /// <see cref="MaxTagValueLength"/> characters.
    /// </summary>
    internal static RequestError? CheckTags(JsonElement v, string where = "")
    {
        if (v.ValueKind != JsonValueKind.Object) { return Malformed(where, $"'tags' must be an object of strings, got {Describe(v.ValueKind)}"); }
        var count = 0;
        foreach (var tag in v.EnumerateObject())
        {
            if (++count > MaxTags) { return Invalid(where, $"a job has at most {MaxTags} tags"); }
            if (tag.Value.ValueKind != JsonValueKind.String) { return Malformed(where, $"tag '{Shorten(tag.Name)}' must be a string, got {Describe(tag.Value.ValueKind)}"); }
            if (tag.Name.Length == 0 || tag.Name.Contains(':', StringComparison.Ordinal) || tag.Name.Contains(',', StringComparison.Ordinal)) { return Invalid(where, $"tag names must be non-empty and contain neither ':' nor ',': '{Shorten(tag.Name)}'"); }
            if (tag.Name.Length > MaxTagNameLength) { return Invalid(where, $"tag names must be at most {MaxTagNameLength} characters: '{Shorten(tag.Name)}' has {tag.Name.Length}"); }
            if (tag.Value.GetString()!.Length > MaxTagValueLength) { return Invalid(where, $"tag values must be at most {MaxTagValueLength} characters: tag '{tag.Name}' has {tag.Value.GetString()!.Length}"); }
        }

        return null;
    }

    /// <summary>A caller's long value, cut for an error message (the caller knows the rest).</summary>
    private static string Shorten(string s) => s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 64), "…");

    internal static bool TryInt(JsonElement v, out int value)
    {
        value = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value);
    }

    internal static string Describe(JsonElement v) =>
        v.ValueKind == JsonValueKind.Number ? $"the number {v.GetRawText()}" : Describe(v.ValueKind);

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static RequestError Malformed(string where, string message) => new(RequestErrorKind.Malformed, where + message);

    private static RequestError Invalid(string where, string message) => new(RequestErrorKind.Invalid, where + message);
}
