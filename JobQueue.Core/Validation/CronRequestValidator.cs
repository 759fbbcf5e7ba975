using System.Text.Json;
using JobQueue.Core.Cron;
using JobQueue.Core.Jobs;

namespace JobQueue.Core.Validation;

/// <summary>
/// Checks <c>/api/v1/cron</c> create and patch requests against the raw JSON, with the enqueue validator's rules
/// for the job fields (priority, queue, attempts, timeout, tags): a wrong JSON type or an unknown field is
/// <see cref="RequestErrorKind.Malformed"/> (400), a value breaking a rule — a cron expression NCrontab refuses, a
/// time zone the tz database does not know — is <see cref="RequestErrorKind.Invalid"/> (422).
/// </summary>
public static class CronRequestValidator
{
    /// <summary>Longest accepted schedule name.</summary>
    public const int MaxNameLength = 200;

    private static readonly HashSet<string> PatchFields =
        ["enabled", "cron_expression", "payload", "queue_name", "priority", "timezone", "name", "max_attempts"];

    /// <summary>Validates a create request; fills defaults (UTC, queue default, priority 5, enabled).</summary>
    public static RequestError? TryValidateCreate(JsonElement element, int defaultMaxAttempts, out CronSpec? spec)
    {
        spec = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Malformed($"expected a JSON object, got {EnqueueRequestValidator.Describe(element.ValueKind)}");
        }

        string? name = null, jobType = null, expression = null;
        var timezone = CronTimeZones.Default;
        var payload = "{}";
        var queue = QueueNames.Default;
        var priority = JobDefaults.Priority;
        var maxAttempts = defaultMaxAttempts;
        int? timeout = null;
        var tags = "{}";
        var enabled = true;

        foreach (var prop in element.EnumerateObject())
        {
            var v = prop.Value;
            var error = prop.Name switch
            {
                "name" => ReadString(v, "name", ref name),
                "job_type" => ReadString(v, "job_type", ref jobType),
                "cron_expression" => ReadString(v, "cron_expression", ref expression),
                "timezone" => v.ValueKind == JsonValueKind.Null ? null : ReadString(v, "timezone", ref timezone!),
                "payload" => v.ValueKind == JsonValueKind.Null ? null : ReadPayload(v, ref payload),
                "queue_name" => v.ValueKind == JsonValueKind.Null ? null : ReadQueue(v, ref queue),
                "priority" => v.ValueKind == JsonValueKind.Null ? null : ReadPriority(v, ref priority),
                "max_attempts" => v.ValueKind == JsonValueKind.Null ? null : ReadMaxAttempts(v, ref maxAttempts),
                "timeout_seconds" => v.ValueKind == JsonValueKind.Null ? null : ReadTimeout(v, ref timeout),
                "tags" => v.ValueKind == JsonValueKind.Null ? null : ReadTags(v, ref tags),
                "enabled" => v.ValueKind == JsonValueKind.Null ? null : ReadBool(v, "enabled", ref enabled),
                _ => Malformed($"unknown field '{prop.Name}'"),
            };
            if (error is not null)
            {
                return error;
            }
        }

        var problem = CheckName(name, required: true) ?? CheckJobType(jobType) ?? CheckExpression(expression, required: true) ?? CheckTimezone(timezone);
        if (problem is not null)
        {
            return problem;
        }

        spec = new CronSpec(name!.Trim(), jobType!, expression!.Trim(), timezone, payload, queue, priority, maxAttempts, timeout, tags, enabled);
        return null;
    }

    /// <summary>Validates a PATCH request: any of enabled, cron_expression, payload, queue_name, priority, timezone, name, max_attempts.</summary>
    public static RequestError? TryValidatePatch(JsonElement element, out CronPatch? patch)
    {
        patch = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Malformed($"expected a JSON object, got {EnqueueRequestValidator.Describe(element.ValueKind)}");
        }

        bool enabled = default;
        string? expression = null, payload = null, queue = null, timezone = null, name = null;
        int priority = default, maxAttempts = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in element.EnumerateObject())
        {
            var v = prop.Value;
            if (!PatchFields.Contains(prop.Name))
            {
                return Malformed($"unknown field '{prop.Name}': a schedule's {string.Join(", ", PatchFields)} can be changed");
            }

            if (v.ValueKind == JsonValueKind.Null)
            {
                return Malformed($"'{prop.Name}' must not be null: leave it out to keep its value");
            }

            seen.Add(prop.Name);
            var error = prop.Name switch
            {
                "enabled" => ReadBool(v, "enabled", ref enabled),
                "cron_expression" => ReadString(v, "cron_expression", ref expression),
                "payload" => ReadPayload(v, ref payload!),
                "queue_name" => ReadQueue(v, ref queue!),
                "priority" => ReadPriority(v, ref priority),
                "timezone" => ReadString(v, "timezone", ref timezone),
                "name" => ReadString(v, "name", ref name),
                _ => ReadMaxAttempts(v, ref maxAttempts),
            };
            if (error is not null)
            {
                return error;
            }
        }

        if (seen.Count == 0)
        {
            return Invalid($"nothing to change: send any of {string.Join(", ", PatchFields)}");
        }

        var problem = (name is null ? null : CheckName(name, required: false))
            ?? (expression is null ? null : CheckExpression(expression, required: false))
            ?? (timezone is null ? null : CheckTimezone(timezone));
        if (problem is not null)
        {
            return problem;
        }

        patch = new CronPatch(
            seen.Contains("enabled") ? enabled : null,
            expression?.Trim(),
            payload,
            queue,
            seen.Contains("priority") ? priority : null,
            timezone,
            name?.Trim(),
            seen.Contains("max_attempts") ? maxAttempts : null);
        return null;
    }

    private static RequestError? CheckName(string? name, bool required)
    {
        if (name is null)
        {
            return required ? Invalid("'name' is required") : null;
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            return Invalid("'name' must not be empty");
        }

        return name.Trim().Length > MaxNameLength ? Invalid($"'name' must be at most {MaxNameLength} characters") : null;
    }

    private static RequestError? CheckJobType(string? type)
    {
        if (type is null)
        {
            return Invalid("'job_type' is required");
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            return Invalid("'job_type' must not be empty");
        }

        return type.Length > EnqueueRequestValidator.MaxTypeLength ? Invalid($"'job_type' must be at most {EnqueueRequestValidator.MaxTypeLength} characters") : null;
    }

    private static RequestError? CheckExpression(string? expression, bool required)
    {
        if (expression is null)
        {
            return required ? Invalid("'cron_expression' is required") : null;
        }

        return CronExpression.TryParse(expression, out var error) is null ? Invalid(error!) : null;
    }

    private static RequestError? CheckTimezone(string timezone) =>
        CronTimeZones.TryFind(timezone, out _) ? null : Invalid($"unknown time zone '{timezone}': use an IANA name such as UTC or Europe/Paris");

    private static RequestError? ReadString(JsonElement v, string field, ref string? value)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            return Malformed($"'{field}' must be a string, got {EnqueueRequestValidator.Describe(v.ValueKind)}");
        }

        value = v.GetString();
        return null;
    }

    private static RequestError? ReadBool(JsonElement v, string field, ref bool value)
    {
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Malformed($"'{field}' must be true or false, got {EnqueueRequestValidator.Describe(v)}");
        }

        value = v.GetBoolean();
        return null;
    }

    private static RequestError? ReadPayload(JsonElement v, ref string payload)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            return Malformed($"'payload' must be a JSON object, got {EnqueueRequestValidator.Describe(v.ValueKind)}");
        }

        payload = v.GetRawText();
        return null;
    }

    private static RequestError? ReadQueue(JsonElement v, ref string queue)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            return Malformed($"'queue_name' must be a string, got {EnqueueRequestValidator.Describe(v.ValueKind)}");
        }

        var q = v.GetString()!;
        if (!QueueNames.IsKnown(q))
        {
            return Invalid($"unknown queue '{q}': use one of {string.Join(", ", QueueNames.All)}");
        }

        queue = q;
        return null;
    }

    private static RequestError? ReadPriority(JsonElement v, ref int priority)
    {
        if (!EnqueueRequestValidator.TryInt(v, out var p))
        {
            return Malformed($"'priority' must be an integer, got {EnqueueRequestValidator.Describe(v)}");
        }

        if (p is < JobDefaults.MinPriority or > JobDefaults.MaxPriority)
        {
            return Invalid($"'priority' must be between 1 and 10, got {p}");
        }

        priority = p;
        return null;
    }

    private static RequestError? ReadMaxAttempts(JsonElement v, ref int maxAttempts)
    {
        if (!EnqueueRequestValidator.TryInt(v, out var m))
        {
            return Malformed($"'max_attempts' must be an integer, got {EnqueueRequestValidator.Describe(v)}");
        }

        if (m is < 1 or > EnqueueRequestValidator.MaxMaxAttempts)
        {
            return Invalid($"'max_attempts' must be between 1 and {EnqueueRequestValidator.MaxMaxAttempts}, got {m}");
        }

        maxAttempts = m;
        return null;
    }

    private static RequestError? ReadTimeout(JsonElement v, ref int? timeout)
    {
        if (!EnqueueRequestValidator.TryInt(v, out var t))
        {
            return Malformed($"'timeout_seconds' must be an integer, got {EnqueueRequestValidator.Describe(v)}");
        }

        if (t is < 1 or > EnqueueRequestValidator.MaxTimeoutSeconds)
        {
            return Invalid($"'timeout_seconds' must be between 1 and {EnqueueRequestValidator.MaxTimeoutSeconds}, got {t}");
        }

        timeout = t;
        return null;
    }

    private static RequestError? ReadTags(JsonElement v, ref string tags)
    {
        if (EnqueueRequestValidator.CheckTags(v) is { } error)
        {
            return error;
        }

        tags = v.GetRawText();
        return null;
    }

    private static RequestError Malformed(string message) => new(RequestErrorKind.Malformed, message);

    private static RequestError Invalid(string message) => new(RequestErrorKind.Invalid, message);
}
