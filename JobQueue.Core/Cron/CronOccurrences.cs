namespace JobQueue.Core.Cron;

/// <summary>
/// Next occurrences of a cron expression read as wall-clock time in a time zone, returned as UTC instants.
/// </summary>
/// <remarks>
/// Daylight saving time, the two cases a wall-clock schedule must decide (the same rules as Cronos and Hangfire
/// for expressions with a fixed hour):
/// <list type="bullet">
/// <item>Gap (clocks go forward, e.g. 02:00–03:00 does not exist): an occurrence in the gap fires once, at the
/// first instant after it (03:00 local). Several occurrences in one gap fire once together.</item>
/// <item>Overlap (clocks go back, e.g. 01:00–02:00 happens twice): each wall-clock time fires once, at its first
/// instance; the repeated hour is not replayed. A schedule created or resumed during the second pass fires at the
/// second instance instead (the next one still to come).</item>
/// </list>
/// The result is always strictly later than the instant asked about, so a caller can walk occurrences one by one.
/// </remarks>
public static class CronOccurrences
{
    /// <summary>The first occurrence strictly after <paramref name="afterUtc"/>, as a UTC instant.</summary>
    public static DateTime NextAfter(CronExpression expression, TimeZoneInfo zone, DateTime afterUtc)
    {
        afterUtc = DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc);
        var wall = TimeZoneInfo.ConvertTimeFromUtc(afterUtc, zone);

        // Bounded: a wall time maps to an instant after afterUtc within at most a couple of steps (the only way to
        // map backwards is an ambiguous time whose both instances are past, which the next step leaves behind).
        for (var i = 0; i < 1000; i++)
        {
            wall = expression.NextWallClockAfter(wall);
            var utc = ToUtc(wall, zone, afterUtc);
            if (utc > afterUtc)
            {
                return utc;
            }
        }

        throw new InvalidOperationException($"no occurrence of '{expression.Text}' in {zone.Id} after {afterUtc:O}");
    }

    /// <summary>The instant of a wall-clock time in <paramref name="zone"/>, by the gap and overlap rules above.</summary>
    private static DateTime ToUtc(DateTime wall, TimeZoneInfo zone, DateTime afterUtc)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wall))
        {
            // Walk to the end of the gap: transitions fall on whole minutes in the tz database.
            var end = new DateTime(wall.Ticks - (wall.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Unspecified);
            while (zone.IsInvalidTime(end))
            {
                end = end.AddMinutes(1);
            }

            return TimeZoneInfo.ConvertTimeToUtc(end, zone);
        }

        if (zone.IsAmbiguousTime(wall))
        {
            // The earliest instance still to come: the first pass normally, the second if the first is already past.
            var instances = zone.GetAmbiguousTimeOffsets(wall)
                .Select(offset => DateTime.SpecifyKind(wall - offset, DateTimeKind.Utc))
                .Order()
                .ToList();
            return instances.FirstOrDefault(u => u > afterUtc, instances[^1]);
        }

        return TimeZoneInfo.ConvertTimeToUtc(wall, zone);
    }
}
