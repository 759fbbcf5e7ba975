using JobQueue.Core.Retry;

namespace JobQueue.Core.Tests;

public sealed class RetryPolicyTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromHours(1);

    [TestCase(1, 1_000)]
    [TestCase(2, 2_000)]
    [TestCase(3, 4_000)]
    [TestCase(5, 16_000)]
    [TestCase(11, 1_024_000)]
    public void DelayAfter_IsBaseTimesTwoToTheAttemptMinusOne_WhenRandomIsOneHalf(int attempt, double expectedMs)
    {
        var policy = new RetryPolicy(Base, Max, jitter: 0.2);
        Assert.That(policy.DelayAfter(attempt, 0.5).TotalMilliseconds, Is.EqualTo(expectedMs).Within(0.001));
    }

    [TestCase(0.0, 2_400)]
    [TestCase(0.25, 3_200)]
    [TestCase(0.75, 4_800)]
    public void DelayAfter_ScalesByOneMinusJitterPlusTwiceJitterTimesRandom(double random01, double expectedMs)
    {
        // attempt 3: 1 s × 2² = 4 s; jitter 0.4 scales it by 0.6 + 0.8 × random01
        var policy = new RetryPolicy(Base, Max, jitter: 0.4);
        Assert.That(policy.DelayAfter(3, random01).TotalMilliseconds, Is.EqualTo(expectedMs).Within(0.001));
    }

    [Test]
    public void DelayAfter_StaysWithinJitterBounds_AtBothEndsOfRandom()
    {
        var policy = new RetryPolicy(Base, Max, jitter: 0.2);
        var low = policy.DelayAfter(4, 0.0);
        var high = policy.DelayAfter(4, Math.BitDecrement(1.0));
        Assert.That(low.TotalMilliseconds, Is.EqualTo(8_000 * 0.8).Within(0.001));
        // random01 is below 1, so the delay approaches base × (1 + jitter) without passing it.
        Assert.That(high.TotalMilliseconds, Is.InRange(8_000 * 1.2 - 0.01, 8_000 * 1.2));
    }

    [Test]
    public void DelayAfter_HasNoJitter_WhenJitterIsZero()
    {
        var policy = new RetryPolicy(Base, Max, jitter: 0);
        Assert.That(policy.DelayAfter(2, 0.0), Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(policy.DelayAfter(2, 0.99), Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void DelayAfter_IsCappedAtMaxDelay()
    {
        var policy = new RetryPolicy(Base, TimeSpan.FromSeconds(10), jitter: 0.2);
        Assert.That(policy.DelayAfter(5, 0.5), Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(policy.DelayAfter(5, 0.0), Is.EqualTo(TimeSpan.FromSeconds(10)));
    }

    [TestCase(64)]
    [TestCase(1_000)]
    [TestCase(int.MaxValue)]
    public void DelayAfter_DoesNotOverflow_ForHugeAttemptNumbers(int attempt)
    {
        var policy = new RetryPolicy(Base, Max, jitter: 0.2);
        Assert.That(policy.DelayAfter(attempt, 0.0), Is.EqualTo(Max));
        Assert.That(policy.DelayAfter(attempt, 0.99), Is.EqualTo(Max));
    }

    [Test]
    public void DelayAfter_Throws_WhenAttemptIsBelowOne()
    {
        var policy = new RetryPolicy(Base, Max);
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.DelayAfter(0, 0.5));
    }

    [Test]
    public void Constructor_Throws_WhenBaseDelayIsNotPositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RetryPolicy(TimeSpan.Zero, Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RetryPolicy(TimeSpan.FromSeconds(-1), Max));
    }

    [Test]
    public void Constructor_Throws_WhenMaxDelayIsBelowBaseDelay() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)));

    [TestCase(-0.1)]
    [TestCase(1.0)]
    [TestCase(1.5)]
    public void Constructor_Throws_WhenJitterIsOutsideZeroToOne(double jitter) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RetryPolicy(Base, Max, jitter));

    [TestCase(0, 3, true)]
    [TestCase(2, 3, true)]
    [TestCase(3, 3, false)]
    public void HasAttemptsLeft_IsTrue_OnlyBelowMaxAttempts(int attempts, int maxAttempts, bool expected) =>
        Assert.That(RetryPolicy.HasAttemptsLeft(attempts, maxAttempts), Is.EqualTo(expected));
}
