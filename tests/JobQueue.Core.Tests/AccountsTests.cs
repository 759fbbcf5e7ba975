using JobQueue.Core.Accounts;

namespace JobQueue.Core.Tests;

public sealed class AccountsTests
{
    [TestCase(Tier.Free, 1_000)]
    [TestCase(Tier.Pro, 100_000)]
    [TestCase(Tier.Business, -1)]
    public void JobsLimit_IsThePlansMonthlyAllowance(Tier tier, long expected) =>
        Assert.That(tier.JobsLimit(), Is.EqualTo(expected));

    [TestCase("free", Tier.Free)]
    [TestCase("pro", Tier.Pro)]
    [TestCase("business", Tier.Business)]
    public void TryParse_ReadsEveryWireName_AndToWireGivesItBack(string wire, Tier expected)
    {
        Assert.That(Tiers.TryParse(wire, out var tier), Is.True);
        Assert.That(tier, Is.EqualTo(expected));
        Assert.That(tier.ToWire(), Is.EqualTo(wire));
    }

    [TestCase("Pro")]
    [TestCase("enterprise")]
    [TestCase("")]
    [TestCase(null)]
    public void TryParse_RefusesUnknownNames(string? wire) => Assert.That(Tiers.TryParse(wire, out _), Is.False);

    [Test]
    public void Generate_MakesQlyPlus32LowercaseHex_DifferentEachTime()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => ApiKeys.Generate()).ToList();
        Assert.That(keys, Has.All.Match("^qly_[0-9a-f]{32}$"));
        Assert.That(keys.Distinct().Count(), Is.EqualTo(100));
        Assert.That(keys, Has.All.Matches<string>(ApiKeys.LooksLikeKey));
    }

    [TestCase("qly_0123456789abcdef0123456789abcdef", true)]
    [TestCase("qly_0123456789ABCDEF0123456789abcdef", false)]
    [TestCase("qly_0123456789abcdef0123456789abcde", false)]
    [TestCase("abc_0123456789abcdef0123456789abcdef", false)]
    [TestCase("dev-api-key", false)]
    public void LooksLikeKey_AcceptsOnlyTheExactShape(string value, bool expected) =>
        Assert.That(ApiKeys.LooksLikeKey(value), Is.EqualTo(expected));

    [Test]
    public void Hash_IsSha256LowercaseHex()
    {
        // echo -n abc | sha256sum
        Assert.That(ApiKeys.Hash("abc"), Is.EqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }

    [Test]
    public void Prefix_IsTheFirstEightCharacters() =>
        Assert.That(ApiKeys.Prefix("qly_0123456789abcdef0123456789abcdef"), Is.EqualTo("qly_0123"));

    [Test]
    public void NewResetToken_Is64HexDigits() =>
        Assert.That(ApiKeys.NewResetToken(), Does.Match("^[0-9a-f]{64}$"));

    [TestCase("2026-11-23T16:00:00Z", "2026-11-01", "2026-12-01T00:00:00Z")]
    [TestCase("2026-12-31T23:59:59.999Z", "2026-12-01", "2027-01-01T00:00:00Z")]
    [TestCase("2027-01-01T00:00:00Z", "2027-01-01", "2027-02-01T00:00:00Z")]
    [TestCase("2027-03-01T00:30:00+02:00", "2027-02-01", "2027-03-01T00:00:00Z")] // still February in UTC
    public void Period_IsTheUtcMonth_AndResetAtIsTheFirstOfTheNext(string now, string period, string resetAt)
    {
        var t = DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(UsagePeriod.Of(t), Is.EqualTo(DateOnly.Parse(period, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(UsagePeriod.ResetAt(t), Is.EqualTo(DateTimeOffset.Parse(resetAt, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void UsageReport_ComputesPercentAndLimit()
    {
        var reset = DateTimeOffset.UnixEpoch;
        var half = new UsageReport(Tier.Free, 500, reset);
        var full = new UsageReport(Tier.Free, 1000, reset);
        var unlimited = new UsageReport(Tier.Business, 5_000_000, reset);
        Assert.That((half.UsagePercent, half.LimitReached, half.JobsLimit), Is.EqualTo((50.0, false, 1000L)));
        Assert.That((full.UsagePercent, full.LimitReached), Is.EqualTo((100.0, true)));
        Assert.That((unlimited.UsagePercent, unlimited.LimitReached, unlimited.JobsLimit), Is.EqualTo((0.0, false, -1L)));
    }

    [TestCase("ada@example.com", null)]
    [TestCase("", "'email' is required")]
    [TestCase("ada", "'email' is not a valid address: 'ada'")]
    [TestCase("ada@", "'email' is not a valid address: 'ada@'")]
    [TestCase("@example.com", "'email' is not a valid address: '@example.com'")]
    [TestCase("a@b@example.com", "'email' is not a valid address: 'a@b@example.com'")]
    [TestCase("ada@localhost", "'email' is not a valid address: 'ada@localhost'")]
    public void EmailError_NamesTheProblem(string email, string? expected) =>
        Assert.That(AccountRules.EmailError(email), Is.EqualTo(expected));

    [Test]
    public void NormalizeEmail_TrimsAndLowercases() =>
        Assert.That(AccountRules.NormalizeEmail("  Ada@Example.COM "), Is.EqualTo("ada@example.com"));

    [TestCase("1234567", false)]
    [TestCase("12345678", true)]
    public void PasswordError_RequiresEightCharacters(string password, bool ok) =>
        Assert.That(AccountRules.PasswordError(password) is null, Is.EqualTo(ok));
}
