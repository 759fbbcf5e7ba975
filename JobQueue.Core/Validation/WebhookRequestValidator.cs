using System.Net;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Core.Net;

namespace JobQueue.Core.Validation;

/// <summary>A checked webhook subscription request. <see cref="Secret"/> null: generate one.</summary>
public sealed record WebhookSpec(string Url, IReadOnlyList<string> Events, string? Secret, string? Description, bool Enabled);

/// <summary>A checked PATCH: null fields are left as they are; <see cref="Secret"/> rotates the secret.</summary>
public sealed record WebhookPatch(string? Url, IReadOnlyList<string>? Events, string? Secret, string? Description, bool? Enabled);

/// <summary>
/// Checks <c>/api/v1/webhooks</c> create and patch requests: <c>url</c> (absolute http or https, no credentials in
/// it, not a refused address when written as an IP literal or <c>localhost</c>), <c>events</c> (names from
/// <see cref="EventNames.JobEvents"/>; empty or absent: <see cref="EventNames.DefaultWebhookEvents"/>), <c>secret</c>, <c>description</c>, <c>enabled</c>.
/// A wrong JSON type or unknown field is <see cref="RequestErrorKind.Malformed"/> (400), a bad value
/// <see cref="RequestErrorKind.Invalid"/> (422). Host names are judged again at connect time (DNS can change).
/// </summary>
public static class WebhookRequestValidator
{
    public const int MaxUrlLength = 2048;
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;
    public const int MaxDescriptionLength = 500;

    private static readonly string[] Fields = ["url", "events", "secret", "description", "enabled"];

    public static RequestError? TryValidateCreate(JsonElement element, OutboundAddressPolicy policy, out WebhookSpec? spec)
    {
        spec = null;
        var error = Read(element, policy, out var f);
        if (error is not null)
        {
            return error;
        }

        if (f.Url is null)
        {
            return Invalid("'url' is required");
        }

        spec = new WebhookSpec(f.Url, f.Events is { Count: > 0 } events ? events : EventNames.DefaultWebhookEvents, f.Secret, f.Description, f.Enabled ?? true);
        return null;
    }

    public static RequestError? TryValidatePatch(JsonElement element, OutboundAddressPolicy policy, out WebhookPatch? patch)
    {
        patch = null;
        var error = Read(element, policy, out var f);
        if (error is not null)
        {
            return error;
        }

        if (f.Count == 0)
        {
            return Invalid($"nothing to change: send any of {string.Join(", ", Fields)}");
        }

        patch = new WebhookPatch(f.Url, f.Events, f.Secret, f.Description, f.Enabled);
        return null;
    }

    private sealed class Fieldset
    {
        public int Count;
        public string? Url, Secret, Description;
        public IReadOnlyList<string>? Events;
        public bool? Enabled;
    }

    private static RequestError? Read(JsonElement element, OutboundAddressPolicy policy, out Fieldset f)
    {
        f = new Fieldset();
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Malformed($"expected a JSON object, got {EnqueueRequestValidator.Describe(element.ValueKind)}");
        }

        foreach (var prop in element.EnumerateObject())
        {
            var v = prop.Value;
            if (Array.IndexOf(Fields, prop.Name) < 0)
            {
                return Malformed($"unknown field '{prop.Name}': a webhook has {string.Join(", ", Fields)}");
            }

            if (v.ValueKind == JsonValueKind.Null)
            {
                continue; // null means "not given", as for the cron and enqueue fields
            }

            if (prop.Name == "enabled")
            {
                if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return Malformed($"'enabled' must be a boolean, got {EnqueueRequestValidator.Describe(v)}");
                }

                f.Enabled = v.GetBoolean();
            }
            else if (prop.Name == "events")
            {
                var error = ReadEvents(v, out f.Events);
                if (error is not null)
                {
                    return error;
                }
            }
            else
            {
                if (v.ValueKind != JsonValueKind.String)
                {
                    return Malformed($"'{prop.Name}' must be a string, got {EnqueueRequestValidator.Describe(v)}");
                }

                var s = v.GetString()!;
                var error = prop.Name switch
                {
                    "url" => CheckUrl(s, policy),
                    "secret" => s.Length is < MinSecretLength or > MaxSecretLength
                        ? Invalid($"'secret' must be {MinSecretLength} to {MaxSecretLength} characters, got {s.Length}")
                        : null,
                    _ => s.Length > MaxDescriptionLength ? Invalid($"'description' must be at most {MaxDescriptionLength} characters") : null,
                };
                if (error is not null)
                {
                    return error;
                }

                if (prop.Name == "url")
                {
                    f.Url = s.Trim();
                }
                else if (prop.Name == "secret")
                {
                    f.Secret = s;
                }
                else
                {
                    f.Description = s;
                }
            }

            f.Count++;
        }

        return null;
    }

    private static RequestError? ReadEvents(JsonElement v, out IReadOnlyList<string>? events)
    {
        events = null;
        if (v.ValueKind != JsonValueKind.Array)
        {
            return Malformed($"'events' must be an array of event names, got {EnqueueRequestValidator.Describe(v)}");
        }

        var names = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return Malformed($"'events' must hold strings, got {EnqueueRequestValidator.Describe(item)}");
            }

            var name = item.GetString()!;
            if (!EventNames.IsJobEvent(name))
            {
                return Invalid($"unknown event '{name}': expected any of {string.Join(", ", EventNames.JobEvents)}");
            }

            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        events = names;
        return null;
    }

    /// <summary>Checks a subscription URL; the address rule applies to IP literals and <c>localhost</c> here, to every name at connect time.</summary>
    public static RequestError? CheckUrl(string raw, OutboundAddressPolicy policy)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            return Invalid("'url' must not be empty");
        }

        if (text.Length > MaxUrlLength)
        {
            return Invalid($"'url' must be at most {MaxUrlLength} characters");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || url.Host.Length == 0)
        {
            return Invalid($"'url' must be an absolute http or https URL, got '{text}'");
        }

        if (url.UserInfo.Length > 0)
        {
            return Invalid("'url' must not carry credentials: sign deliveries with the secret instead");
        }

        var host = url.IdnHost.TrimEnd('.'); // "localhost." is localhost
        var literal = IPAddress.TryParse(host, out var ip) ? ip
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : null;
        return literal is not null && !policy.Allows(literal)
            ? Invalid($"'url' host {url.Host} is refused: {SpecialPurposeAddresses.Refusal(literal)}")
            : null;
    }

    private static RequestError Malformed(string message) => new(RequestErrorKind.Malformed, message);

    private static RequestError Invalid(string message) => new(RequestErrorKind.Invalid, message);
}
