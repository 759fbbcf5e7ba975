using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;

namespace JobQueue.Cli;

/// <summary>How jobq reads the values people type: durations (90s, 5m, 2h, 7d), tags (k=v), JSON.</summary>
internal static class Parsing
{
    /// <summary><c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>7d</c>, or a TimeSpan (<c>00:05:00</c>).</summary>
    public static TimeSpan Duration(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value.Trim();
        if (TryDuration(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration (500ms, 30s, 5m, 2h, 7d)");
        return default;
    }

    public static bool TryDuration(string text, out TimeSpan duration)
    {
        var (unit, factor) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => ("ms", 0.001),
            _ when text.EndsWith('s') => ("s", 1.0),
            _ when text.EndsWith('m') => ("m", 60.0),
            _ when text.EndsWith('h') => ("h", 3600.0),
            _ when text.EndsWith('d') => ("d", 86400.0),
            _ => ("", 0.0),
        };
        if (unit.Length > 0 && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            duration = TimeSpan.FromSeconds(amount * factor);
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }

    /// <summary>A point in time: RFC 3339 (<c>2026-12-01T00:00:00Z</c>), or a duration meaning that long ago (<c>7d</c>).</summary>
    public static DateTimeOffset PointInTime(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value.Trim();
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        if (TryDuration(text, out var ago))
        {
            return DateTimeOffset.UtcNow - ago;
        }

        result.AddError($"'{text}' is neither an RFC 3339 time nor a duration ago (7d, 12h)");
        return default;
    }

    /// <summary><c>--tag team=ops --tag env:prod</c>.</summary>
    public static Dictionary<string, string>? Tags(IEnumerable<string>? tags)
    {
        if (tags is null || !tags.Any())
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var at = tag.IndexOfAny(['=', ':']);
            if (at <= 0)
            {
                throw new UsageException($"--tag '{tag}' is not key=value");
            }

            map[tag[..at]] = tag[(at + 1)..];
        }

        return map;
    }

    /// <summary>A JSON value given on the command line or in a file.</summary>
    public static JsonElement? Json(string? text, string? file, string what)
    {
        if (text is not null && file is not null)
        {
            throw new UsageException($"give --{what} or --{what}-file, not both");
        }

        var json = text ?? (file is null ? null : ReadFile(file));
        if (json is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new UsageException($"--{what} is not JSON: {e.Message}");
        }
    }

    public static string ReadFile(string path)
    {
        try
        {
            return path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
    }
}
