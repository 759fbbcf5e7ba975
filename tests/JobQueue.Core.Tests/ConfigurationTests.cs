using JobQueue.Core.Configuration;
using JobQueue.Core.Validation;

namespace JobQueue.Core.Tests;

public sealed class GoDurationTests
{
    [TestCase("5s", 5_000)]
    [TestCase("250ms", 250)]
    [TestCase("1m30s", 90_000)]
    [TestCase("1h", 3_600_000)]
    [TestCase("1.5s", 1_500)]
    [TestCase("10", 10_000)]
    [TestCase("00:00:05", 5_000)]
    [TestCase(" 2m ", 120_000)]
    public void TryParse_Accepts_GoDotNetAndSecondsForms(string text, double expectedMs)
    {
        Assert.That(GoDuration.TryParse(text, out var value), Is.True);
        Assert.That(value.TotalMilliseconds, Is.EqualTo(expectedMs).Within(0.0001));
    }

    [TestCase("abc")]
    [TestCase("-5s")]
    [TestCase("-5")]
    [TestCase("5x")]
    [TestCase("")]
    [TestCase(null)]
    public void TryParse_Refuses_GarbageAndNegatives(string? text) =>
        Assert.That(GoDuration.TryParse(text, out _), Is.False);

    [Test]
    public void Parse_Throws_NamingTheSetting()
    {
        var ex = Assert.Throws<FormatException>(() => GoDuration.Parse("abc", "RETRY_BASE_DELAY"));
        Assert.That(ex.Message, Does.Contain("RETRY_BASE_DELAY"));
    }
}

public sealed class JobQueueSettingsTests
{
    private static JobQueueSettings From(Dictionary<string, string> values) =>
        JobQueueSettings.From(key => values.TryGetValue(key, out var v) ? v : null);

    [Test]
    public void From_ReadsTheOriginalEnvironmentNames()
    {
        var s = From(new() { ["WORKER_COUNT"] = "4", ["RETRY_BASE_DELAY"] = "100ms" });
        Assert.That(s.WorkerCount, Is.EqualTo(4));
        Assert.That(s.RetryBaseDelay, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
    }

    [Test]
    public void From_RateLimits_DefaultToTheOriginals()
    {
        var s = From([]);
        Assert.That((s.RateLimitRps, s.RateLimitBurst, s.RateLimitAuthRps, s.RateLimitAuthBurst), Is.EqualTo((100d, 20, 1d, 5)));
    }

    [Test]
    public void From_ReadsRateLimits_FromEnvironmentAndSection()
    {
        var s = From(new() { ["RATE_LIMIT_RPS"] = "0.5", ["JobQueue:RateLimitBurst"] = "3", ["RATE_LIMIT_AUTH_RPS"] = "0", ["RATE_LIMIT_AUTH_BURST"] = "2" });
        Assert.That((s.RateLimitRps, s.RateLimitBurst, s.RateLimitAuthRps, s.RateLimitAuthBurst), Is.EqualTo((0.5, 3, 0d, 2)));
    }

    [TestCase("RATE_LIMIT_RPS", "-1")]
    [TestCase("RATE_LIMIT_RPS", "fast")]
    [TestCase("RATE_LIMIT_BURST", "0")]
    [TestCase("RATE_LIMIT_AUTH_RPS", "NaN")]
    public void From_RefusesABadRateLimit_NamingIt(string name, string value)
    {
        var ex = Assert.Throws<FormatException>(() => From(new() { [name] = value }));
        Assert.That(ex.Message, Does.Contain(name));
    }

    [Test]
    public void From_UsesTheJobQueueSection_WhenEnvironmentNameIsAbsent()
    {
        var s = From(new() { ["JobQueue:WorkerCount"] = "3" });
        Assert.That(s.WorkerCount, Is.EqualTo(3));
    }

    [Test]
    public void From_PrefersTheEnvironmentName_WhenBothAreGiven()
    {
        var s = From(new() { ["WORKER_COUNT"] = "8", ["JobQueue:WorkerCount"] = "3" });
        Assert.That(s.WorkerCount, Is.EqualTo(8));
    }

    [Test]
    public void From_KeepsDefaults_WhenNothingIsGiven()
    {
        var s = From([]);
        Assert.That(s, Is.EqualTo(new JobQueueSettings()).Using<JobQueueSettings>((a, b) =>
            a.WorkerCount == b.WorkerCount && a.LeaseDuration == b.LeaseDuration && a.RetryBaseDelay == b.RetryBaseDelay));
    }

    [TestCase("ten")]
    [TestCase("0")]
    public void From_Throws_NamingWorkerCount_WhenItIsInvalid(string value)
    {
        var ex = Assert.Throws<FormatException>(() => From(new() { ["WORKER_COUNT"] = value }));
        Assert.That(ex.Message, Does.Contain("WORKER_COUNT"));
    }

    [TestCase("10s")]
    [TestCase("5s")]
    public void From_Throws_WhenLeaseIsNotLongerThanHeartbeat(string lease)
    {
        var ex = Assert.Throws<FormatException>(() => From(new() { ["WORKER_LEASE_DURATION"] = lease, ["WORKER_HEARTBEAT_INTERVAL"] = "10s" }));
        Assert.That(ex.Message, Does.Contain("WORKER_LEASE_DURATION"));
    }

    [Test]
    public void From_Throws_WhenWorkerQueuesNamesAnUnknownQueue() =>
        Assert.Throws<FormatException>(() => From(new() { ["WORKER_QUEUES"] = "default,urgent" }));
}

public sealed class TagFilterTests
{
    [TestCase(null)]
    [TestCase("")]
    public void TryParse_YieldsNoFilter_WhenQueryIsEmpty(string? query)
    {
        Assert.That(TagFilter.TryParse(query, out var json), Is.Null);
        Assert.That(json, Is.Null);
    }

    [Test]
    public void TryParse_YieldsJsonObject_ForKeyValuePairs()
    {
        Assert.That(TagFilter.TryParse("team:billing, env:prod", out var json), Is.Null);
        Assert.That(json, Is.EqualTo("""{"team":"billing","env":"prod"}"""));
    }

    [Test]
    public void TryParse_KeepsColonsInTheValue()
    {
        Assert.That(TagFilter.TryParse("url:http://x", out var json), Is.Null);
        Assert.That(json, Is.EqualTo("""{"url":"http://x"}"""));
    }

    [TestCase("team")]
    [TestCase(":value")]
    public void TryParse_ReturnsError_WhenAPairHasNoKey(string query)
    {
        Assert.That(TagFilter.TryParse(query, out var json), Does.Contain("key:value"));
        Assert.That(json, Is.Null);
    }
}

public sealed class ConnectionStringsTests
{
    [Test]
    public void ToNpgsql_ConvertsAPostgresUrl()
    {
        var cs = ConnectionStrings.ToNpgsql("postgres://u:p@h:5433/db?sslmode=disable");
        Assert.That(cs, Does.Contain("Host=h").And.Contain("Port=5433").And.Contain("Database=db")
            .And.Contain("Username=u").And.Contain("Password=p").And.Contain("SSL Mode=Disable"));
    }

    [Test]
    public void ToNpgsql_UsesPort5432_WhenTheUrlHasNone() =>
        Assert.That(ConnectionStrings.ToNpgsql("postgresql://u@h/db"), Does.Contain("Port=5432"));

    [Test]
    public void ToNpgsql_UnescapesPercentEncodedPasswords() =>
        Assert.That(ConnectionStrings.ToNpgsql("postgres://u:p%40ss@h/db"), Does.Contain("Password=p@ss"));

    [Test]
    public void ToNpgsql_LeavesAKeywordStringAsIs()
    {
        const string cs = "Host=h;Port=1;Database=d";
        Assert.That(ConnectionStrings.ToNpgsql(cs), Is.EqualTo(cs));
    }
}
