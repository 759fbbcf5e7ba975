namespace JobQueue.Storage.Postgres;

/// <summary>
/// Postgres keeps timestamps to the microsecond, .NET to 100 ns: a time truncated here is the one a later read
/// returns, so an API answer shows what a GET will. (Jobs.Api, Scheduler.Service and Billing.Service still hold
/// their own copies of this line; they can switch to this one.)
/// </summary>
public static class PostgresTime
{
    public static DateTime Truncate(DateTime t) => new(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc);

    public static DateTime Now(TimeProvider time) => Truncate(time.GetUtcNow().UtcDateTime);
}
