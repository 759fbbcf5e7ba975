using JobQueue.Core.Jobs;
using JobQueue.Core.Scheduling;

namespace JobQueue.Core.Tests;

public sealed class PriorityScoreTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);
    private static readonly DateTime Now = new(2026, 1, 2, 10, 0, 0, DateTimeKind.Utc);

    private static double Score(DateTime readyAt, int priority, string queue = QueueNames.Default) =>
        PriorityScore.Score(readyAt, priority, queue, Step);

    [Test]
    public void HigherPriority_RunsFirst_AtEqualReadiness() =>
        Assert.That(Score(Now, 8), Is.LessThan(Score(Now, 3)));

    [Test]
    public void EarlierReadiness_RunsFirst_AtEqualPriority() =>
        Assert.That(Score(Now.AddSeconds(-1), 5), Is.LessThan(Score(Now, 5)));

    [Test]
    public void LowPriorityJob_BeatsFreshTopPriorityJob_WhenReadyMoreThanNineStepsEarlier()
    {
        var old = Now - (9 * Step) - TimeSpan.FromSeconds(1);
        Assert.That(Score(old, 1), Is.LessThan(Score(Now, 10)));
    }

    [Test]
    public void LowPriorityJob_LosesToFreshTopPriorityJob_WhenReadyLessThanNineStepsEarlier()
    {
        var recent = Now - (9 * Step) + TimeSpan.FromSeconds(1);
        Assert.That(Score(recent, 1), Is.GreaterThan(Score(Now, 10)));
    }

    [Test]
    public void Critical_RunsBeforeDefault_BeforeBulk_AtEqualPriorityAndTime()
    {
        var critical = Score(Now, 5, QueueNames.Critical);
        var normal = Score(Now, 5, QueueNames.Default);
        var bulk = Score(Now, 5, QueueNames.Bulk);
        Assert.That(critical, Is.LessThan(normal));
        Assert.That(normal, Is.LessThan(bulk));
    }

    [Test]
    public void Score_FromDateTime_EqualsScore_FromUnixMilliseconds()
    {
        var ms = new DateTimeOffset(Now).ToUnixTimeMilliseconds();
        Assert.That(PriorityScore.Score(ms, 7, QueueNames.Bulk, Step), Is.EqualTo(Score(Now, 7, QueueNames.Bulk)));
    }

    [TestCase(QueueNames.Critical, 15)]
    [TestCase(QueueNames.Default, 5)]
    [TestCase(QueueNames.Bulk, -5)]
    public void Rank_IsPriorityPlusQueueWeight(string queue, int expected) =>
        Assert.That(PriorityScore.Rank(5, queue), Is.EqualTo(expected));
}
