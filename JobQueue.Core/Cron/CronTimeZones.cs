namespace JobQueue.Core.Cron;

/// <summary>IANA time zone names for schedules, resolved through the operating system's tz database.</summary>
public static class CronTimeZones
{
    /// <summary>The zone used when a schedule names none.</summary>
    public const string Default = "UTC";

    /// <summary>Finds the zone named <paramref name="id"/> (an IANA name such as <c>Europe/Paris</c>); false if unknown.</summary>
    public static bool TryFind(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>Finds a zone that was validated before (a stored schedule); throws if it is not known here.</summary>
    public static TimeZoneInfo Find(string id) =>
        TryFind(id, out var zone) ? zone : throw new TimeZoneNotFoundException($"unknown time zone '{id}'");
}
