using NCrontab;

namespace JobQueue.Core.Cron;

/// <summary>
/// A parsed cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds
/// field, told apart by the field count so that nobody has to set a flag. Parsing is NCrontab's; its message is
/// what a caller sees when an expression is refused.
/// </summary>
public sealed partial class CronExpression
{
    private readonly CrontabSchedule _schedule;

    private CronExpression(string text, CrontabSchedule schedule, bool hasSeconds)
    {
        Text = text;
        _schedule = schedule;
        HasSeconds = hasSeconds;
    }

    /// <summary>The expression as given (trimmed).</summary>
    public string Text { get; }

    /// <summary>True for a 6-field expression whose first field is the second.</summary>
    public bool HasSeconds { get; }

    /// <summary>Parses <paramref name="text"/>; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static CronExpression? TryParse(string? text, out string? error)
    {
        error = null;
        var trimmed = text?.Trim() ?? "";
        var fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            error = $"invalid cron expression '{trimmed}': expected 5 fields (minute hour day month weekday) or 6 with seconds first, got {fields}";
            return null;
        }

        // NCrontab parses a step of 0 (*/0) without complaint, though no schedule steps by nothing: refuse it.
        if (ZeroStep().IsMatch(trimmed))
        {
            error = $"invalid cron expression '{trimmed}': a step (/N) must be at least 1";
            return null;
        }

        CrontabSchedule schedule;
        try
        {
            schedule = CrontabSchedule.Parse(trimmed, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 });
        }
        catch (CrontabException ex)
        {
            error = $"invalid cron expression '{trimmed}': {ex.Message}";
            return null;
        }
        catch (OverflowException)
        {
            // NCrontab reads each number with int.Parse and lets the overflow through (*/2147483648).
            error = $"invalid cron expression '{trimmed}': a number is too large for its field";
            return null;
        }

        // The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks), so an expression
        // with no occurrence in one such cycle never fires (0 0 30 2 *); NCrontab would answer its end date, 9999-12-31.
        if (schedule.GetNextOccurrence(CycleStart, CycleEnd) >= CycleEnd)
        {
            error = $"cron expression '{trimmed}' never fires: no date matches its day-of-month, month and day-of-week fields together";
            return null;
        }

        return new CronExpression(trimmed, schedule, fields == 6);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"/0+(?![0-9])")]
    private static partial System.Text.RegularExpressions.Regex ZeroStep();

    private static readonly DateTime CycleStart = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateTime CycleEnd = CycleStart.AddYears(400);

    /// <summary>Parses an expression that was validated before (a stored schedule); throws if it is not valid.</summary>
    public static CronExpression Parse(string text) =>
        TryParse(text, out var error) ?? throw new FormatException(error);

    /// <summary>The first wall-clock time strictly after <paramref name="wallClock"/> that matches (no time zone involved).</summary>
    public DateTime NextWallClockAfter(DateTime wallClock) =>
        _schedule.GetNextOccurrence(DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified));
}
