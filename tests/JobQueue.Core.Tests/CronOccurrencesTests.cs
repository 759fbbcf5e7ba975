using System.Globalization;
using System.Text.Json;
using JobQueue.Core.Cron;
using JobQueue.Core.Validation;

namespace JobQueue.Core.Tests;

public sealed class CronOccurrencesTests
{
    private static DateTime Utc(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static DateTime Next(string expression, string zone, string afterUtc) =>
        CronOccurrences.NextAfter(CronExpression.Parse(expression), CronTimeZones.Find(zone), Utc(afterUtc));

    [TestCase("*/15 * * * *", "2026-05-04T10:07:30Z", "2026-05-04T10:15:00Z")]
    [TestCase("0 0 * * *", "2026-05-04T23:59:59Z", "2026-05-05T00:00:00Z")]
    [TestCase("0 0 * * *", "2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z")] // strictly after
    [TestCase("0 9 * * 1", "2026-05-04T09:00:00Z", "2026-05-11T09:00:00Z")] // Mondays
    public void FiveFields_InUtc_GiveTheNextMinuteMatch(string expression, string after, string expected) =>
        Assert.That(Next(expression, "UTC", after), Is.EqualTo(Utc(expected)));

    [Test]
    public void SixFields_AreReadWithSecondsFirst()
    {
        var expression = CronExpression.Parse("*/10 * * * * *");

        Assert.That(expression.HasSeconds, Is.True);
        Assert.That(CronOccurrences.NextAfter(expression, TimeZoneInfo.Utc, Utc("2026-05-04T10:00:05Z")), Is.EqualTo(Utc("2026-05-04T10:00:10Z")));
        Assert.That(CronOccurrences.NextAfter(CronExpression.Parse("* * * * * *"), TimeZoneInfo.Utc, Utc("2026-05-04T10:00:05.5Z")), Is.EqualTo(Utc("2026-05-04T10:00:06Z")));
    }

    [TestCase("2026-01-10T00:00:00Z", "2026-01-10T08:00:00Z")] // CET, UTC+1
    [TestCase("2026-07-10T00:00:00Z", "2026-07-10T07:00:00Z")] // CEST, UTC+2
    public void Expression_IsReadAsWallClockTime_InTheSchedulesZone(string after, string expected) =>
        Assert.That(Next("0 9 * * *", "Europe/Paris", after), Is.EqualTo(Utc(expected)));

    [Test]
    public void Occurrence_InTheSpringForwardGap_FiresOnceAtTheEndOfTheGap()
    {
        // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 does not exist that day.
        var first = Next("30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z");
        var second = CronOccurrences.NextAfter(CronExpression.Parse("30 2 * * *"), CronTimeZones.Find("America/New_York"), first);

        Assert.That(first, Is.EqualTo(Utc("2026-03-08T07:00:00Z")), "03:00 EDT, the first instant after the gap");
        Assert.That(second, Is.EqualTo(Utc("2026-03-09T06:30:00Z")), "02:30 EDT the next day");
    }

    [Test]
    public void SeveralOccurrencesInTheGap_FireOnceTogether_ThenTheScheduleGoesOn()
    {
        var expression = CronExpression.Parse("*/30 * * * *");
        var zone = CronTimeZones.Find("America/New_York");

        var ticks = new List<DateTime>();
        var at = Utc("2026-03-08T06:45:00Z"); // 01:45 EST
        for (var i = 0; i < 3; i++)
        {
            at = CronOccurrences.NextAfter(expression, zone, at);
            ticks.Add(at);
        }

        // 02:00 and 02:30 fall in the gap and fire once at 03:00 EDT, which is also the 03:00 tick; then 03:30, 04:00.
        Assert.That(ticks, Is.EqualTo(new[] { Utc("2026-03-08T07:00:00Z"), Utc("2026-03-08T07:30:00Z"), Utc("2026-03-08T08:00:00Z") }));
    }

    [Test]
    public void AmbiguousTime_InTheFallBackOverlap_FiresOnce_AtItsFirstInstance()
    {
        // New York, 2026-11-01: 02:00 EDT goes back to 01:00 EST, so 01:30 happens at 05:30Z and again at 06:30Z.
        var first = Next("30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z");
        var second = CronOccurrences.NextAfter(CronExpression.Parse("30 1 * * *"), CronTimeZones.Find("America/New_York"), first);

        Assert.That(first, Is.EqualTo(Utc("2026-11-01T05:30:00Z")), "01:30 EDT");
        Assert.That(second, Is.EqualTo(Utc("2026-11-02T06:30:00Z")), "the repeated 01:30 EST is not fired again; next is 01:30 EST the next day");
    }

    [Test]
    public void AmbiguousTime_IsFiredAtItsSecondInstance_WhenAskedDuringTheSecondPass()
    {
        // 06:10Z is 01:10 EST, the second pass: the 01:30 still to come is 01:30 EST.
        Assert.That(Next("30 1 * * *", "America/New_York", "2026-11-01T06:10:00Z"), Is.EqualTo(Utc("2026-11-01T06:30:00Z")));
    }

    [TestCase("* * *", "expected 5 fields")]
    [TestCase("* * * * * * *", "got 7")]
    [TestCase("61 * * * *", "61")]
    [TestCase("* * 32 * *", "32")]
    [TestCase("nonsense x y z w", "invalid cron expression")]
    public void BadExpression_IsRefused_WithTheReason(string text, string reasonPart)
    {
        var parsed = CronExpression.TryParse(text, out var error);

        Assert.That(parsed, Is.Null);
        Assert.That(error, Does.Contain(reasonPart));
    }

    [Test]
    public void UnknownZone_IsNotFound()
    {
        Assert.That(CronTimeZones.TryFind("Mars/Olympus_Mons", out _), Is.False);
        Assert.That(CronTimeZones.TryFind("Asia/Tokyo", out var tokyo), Is.True);
        Assert.That(tokyo.BaseUtcOffset, Is.EqualTo(TimeSpan.FromHours(9)));
    }
}

public sealed class CronRequestValidatorTests
{
    private static RequestError? Create(string json, out CronSpec? spec)
    {
        using var doc = JsonDocument.Parse(json);
        return CronRequestValidator.TryValidateCreate(doc.RootElement, 5, out spec);
    }

    private static RequestError? Patch(string json, out CronPatch? patch)
    {
        using var doc = JsonDocument.Parse(json);
        return CronRequestValidator.TryValidatePatch(doc.RootElement, out patch);
    }

    [Test]
    public void Create_FillsDefaults()
    {
        var error = Create("""{"name":" nightly ","job_type":"report","cron_expression":"0 3 * * *"}""", out var spec);

        Assert.That(error, Is.Null);
        Assert.That(spec, Is.EqualTo(new CronSpec("nightly", "report", "0 3 * * *", "UTC", "{}", "default", 5, 5, null, "{}", true)));
    }

    [TestCase("""{"job_type":"r","cron_expression":"* * * * *"}""", RequestErrorKind.Invalid, "'name' is required")]
    [TestCase("""{"name":"a","cron_expression":"* * * * *"}""", RequestErrorKind.Invalid, "'job_type' is required")]
    [TestCase("""{"name":"a","job_type":"r"}""", RequestErrorKind.Invalid, "'cron_expression' is required")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"99 * * * *"}""", RequestErrorKind.Invalid, "invalid cron expression '99 * * * *'")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","timezone":"Nowhere/City"}""", RequestErrorKind.Invalid, "unknown time zone 'Nowhere/City'")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","priority":11}""", RequestErrorKind.Invalid, "'priority' must be between 1 and 10, got 11")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","queue_name":"fast"}""", RequestErrorKind.Invalid, "unknown queue 'fast'")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","max_attempts":0}""", RequestErrorKind.Invalid, "'max_attempts' must be between 1")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","schedule":"x"}""", RequestErrorKind.Malformed, "unknown field 'schedule'")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","priority":"5"}""", RequestErrorKind.Malformed, "'priority' must be an integer")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","enabled":"yes"}""", RequestErrorKind.Malformed, "'enabled' must be true or false")]
    [TestCase("""{"name":"a","job_type":"r","cron_expression":"* * * * *","tags":{"a:b":"c"}}""", RequestErrorKind.Invalid, "tag names")]
    [TestCase("""[1]""", RequestErrorKind.Malformed, "expected a JSON object")]
    public void Create_IsRefused_WithTheKindAndReason(string json, RequestErrorKind kind, string reason)
    {
        var error = Create(json, out var spec);

        Assert.That(spec, Is.Null);
        Assert.That(error?.Kind, Is.EqualTo(kind));
        Assert.That(error?.Message, Does.Contain(reason));
    }

    [Test]
    public void Patch_KeepsWhatIsLeftOut()
    {
        var error = Patch("""{"enabled":false,"priority":9}""", out var patch);

        Assert.That(error, Is.Null);
        Assert.That(patch, Is.EqualTo(new CronPatch(Enabled: false, Priority: 9)));
    }

    [TestCase("""{}""", RequestErrorKind.Invalid, "nothing to change")]
    [TestCase("""{"job_type":"x"}""", RequestErrorKind.Malformed, "unknown field 'job_type'")]
    [TestCase("""{"enabled":null}""", RequestErrorKind.Malformed, "must not be null")]
    [TestCase("""{"cron_expression":"* *"}""", RequestErrorKind.Invalid, "expected 5 fields")]
    [TestCase("""{"timezone":"Europe/Atlantis"}""", RequestErrorKind.Invalid, "unknown time zone 'Europe/Atlantis'")]
    public void Patch_IsRefused_WithTheKindAndReason(string json, RequestErrorKind kind, string reason)
    {
        var error = Patch(json, out _);

        Assert.That(error?.Kind, Is.EqualTo(kind));
        Assert.That(error?.Message, Does.Contain(reason));
    }
}

public sealed class CronScheduleTests
{
    private static readonly DateTime Created = new(2026, 5, 4, 10, 0, 0, DateTimeKind.Utc);

    private static CronSchedule Hourly() =>
        new CronSpec("hourly", "report", "0 * * * *", "UTC", """{"k":1}""", "bulk", 7, 3, 30, """{"team":"a"}""", true).ToSchedule("acme", Created);

    [Test]
    public void NewSchedule_IsDueAtTheFirstOccurrenceAfterItsCreation() =>
        Assert.That(Hourly().NextRunAt, Is.EqualTo(Created.AddHours(1)));

    [Test]
    public void JobFor_CarriesTheSchedulesOwnerAndSettings_AndTagsNamingTheScheduleAndTick()
    {
        var schedule = Hourly();
        var now = Created.AddHours(1).AddMilliseconds(3);

        var job = schedule.JobFor(schedule.NextRunAt, now);

        Assert.That(job.Owner, Is.EqualTo("acme"));
        Assert.That((job.Type, job.Payload, job.QueueName, job.Priority, job.MaxAttempts, job.TimeoutSeconds), Is.EqualTo(("report", """{"k":1}""", "bulk", 7, 3, (int?)30)));
        Assert.That(job.ScheduledAt, Is.EqualTo(now));
        var tags = JsonSerializer.Deserialize<Dictionary<string, string>>(job.Tags)!;
        Assert.That(tags, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["team"] = "a",
            ["cron"] = "hourly",
            ["cron_id"] = schedule.Id.ToString(),
            ["cron_tick"] = "2026-05-04T11:00:00.000000Z",
        }));
    }

    [Test]
    public void Reenabling_MovesTheNextRunToTheFirstOccurrenceAfterNow_WithoutCatchingUp()
    {
        var paused = Hourly().With(new CronPatch(Enabled: false), Created.AddMinutes(1));
        var later = Created.AddHours(5).AddMinutes(20);

        var resumed = paused.With(new CronPatch(Enabled: true), later);

        Assert.That(paused.NextRunAt, Is.EqualTo(Created.AddHours(1)), "pausing keeps the tick");
        Assert.That(resumed.NextRunAt, Is.EqualTo(Created.AddHours(6)));
        Assert.That(resumed.UpdatedAt, Is.EqualTo(later));
    }

    [Test]
    public void ChangingTheExpressionOrZone_RecomputesTheNextRun_ChangingThePayloadDoesNot()
    {
        var schedule = Hourly();
        var now = Created.AddMinutes(10);

        Assert.That(schedule.With(new CronPatch(CronExpression: "*/15 * * * *"), now).NextRunAt, Is.EqualTo(Created.AddMinutes(15)));
        Assert.That(schedule.With(new CronPatch(CronExpression: "0 12 * * *", Timezone: "Asia/Tokyo"), now).NextRunAt, Is.EqualTo(new DateTime(2026, 5, 5, 3, 0, 0, DateTimeKind.Utc)));
        Assert.That(schedule.With(new CronPatch(Payload: "{}"), now).NextRunAt, Is.EqualTo(schedule.NextRunAt));
    }

    [Test]
    public void FireAt_AfterDowntime_FiresTheMissedTickOnce_AndMovesToTheFirstOccurrenceAfterNow()
    {
        var schedule = Hourly();
        var now = Created.AddHours(7).AddMinutes(42); // six ticks missed

        var (due, next, job) = schedule.FireAt(now);

        Assert.That(due, Is.EqualTo(Created.AddHours(1)));
        Assert.That(next, Is.EqualTo(Created.AddHours(8)));
        Assert.That(job.Tags, Does.Contain("2026-05-04T11:00:00.000000Z"));
    }

    [TestCase("*/2147483648 * * * *", "invalid cron expression")]
    [TestCase("0 */99999999999 * * *", "invalid cron expression")]
    [TestCase("0-2147483648 * * * *", "invalid cron expression")]
    [TestCase("*/0 * * * *", "invalid cron expression")]
    [TestCase("0 1-5/0 * * *", "invalid cron expression")]
    [TestCase("0 0 30 2 *", "never fires")]
    [TestCase("0 0 31 4,6,9,11 *", "never fires")]
    [TestCase("0 0 0 30 2 *", "never fires")]
    public void TryParse_RefusesWithAReason_AnExpressionThatOverflowsOrNeverFires(string expression, string reason)
    {
        var parsed = CronExpression.TryParse(expression, out var error);

        Assert.That(parsed, Is.Null);
        Assert.That(error, Does.Contain(reason).And.Contain(expression));
    }

    [TestCase("0 0 29 2 *")] // every leap year
    [TestCase("0 0 29 2 1")] // a leap day that is a Monday: years apart, but it comes
    [TestCase("0 0 31 12 *")]
    public void TryParse_Accepts_AnExpressionThatFiresRarely(string expression)
    {
        Assert.That(CronExpression.TryParse(expression, out var error), Is.Not.Null, error);
    }
}
