using System.Globalization;
using System.Text.RegularExpressions;

namespace JobQueue.Core.Configuration;

/// <summary>
/// Parses durations as the original's environment gave them (Go's <c>time.ParseDuration</c>: <c>5s</c>, <c>1h</c>,
/// <c>1m30s</c>, <c>250ms</c>), as well as .NET's <c>hh:mm:ss</c> and a bare number of seconds.
/// </summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"(?<n>\d+(\.\d+)?)(?<u>ns|us|µs|ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    [GeneratedRegex(@"^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Whole();

    /// <summary>Parses <paramref name="text"/>; false when it is none of the accepted forms or negative.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds))
            {
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        if (Whole().IsMatch(text))
        {
            double ms = 0;
            foreach (Match m in Part().Matches(text))
            {
                var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                ms += m.Groups["u"].Value switch
                {
                    "ns" => n / 1_000_000,
                    "us" or "µs" => n / 1000,
                    "ms" => n,
                    "s" => n * 1000,
                    "m" => n * 60_000,
                    _ => n * 3_600_000,
                };
            }

            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>Parses or throws a <see cref="FormatException"/> naming the setting.</summary>
    public static TimeSpan Parse(string text, string settingName) =>
        TryParse(text, out var v)
            ? v
            : throw new FormatException($"{settingName}='{text}' is not a duration (use e.g. 5s, 250ms, 1m30s, 1h)");
}
