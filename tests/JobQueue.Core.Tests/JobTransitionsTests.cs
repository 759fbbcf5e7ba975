using JobQueue.Core.Jobs;

namespace JobQueue.Core.Tests;

public sealed class JobTransitionsTests
{
    private static readonly (JobStatus From, JobStatus To)[] Legal =
    [
        (JobStatus.Pending, JobStatus.Running),
        (JobStatus.Pending, JobStatus.Cancelled),
        (JobStatus.Running, JobStatus.Completed),
        (JobStatus.Running, JobStatus.Failed),
        (JobStatus.Running, JobStatus.Dead),
        (JobStatus.Running, JobStatus.Cancelled),
        (JobStatus.Running, JobStatus.Pending),
        (JobStatus.Failed, JobStatus.Running),
        (JobStatus.Failed, JobStatus.Pending),
        (JobStatus.Failed, JobStatus.Cancelled),
        (JobStatus.Dead, JobStatus.Pending),
    ];

    private static IEnumerable<TestCaseData> LegalMoves() => Legal.Select(m => new TestCaseData(m.From, m.To));

    private static IEnumerable<TestCaseData> IllegalMoves() =>
        from source in Enum.GetValues<JobStatus>()
        from target in Enum.GetValues<JobStatus>()
        where !Legal.Contains((source, target))
        select new TestCaseData(source, target);

    [TestCaseSource(nameof(LegalMoves))]
    public void CanMove_IsTrue_ForEveryMoveInTheTable(JobStatus from, JobStatus to)
    {
        Assert.That(JobTransitions.CanMove(from, to), Is.True);
        Assert.DoesNotThrow(() => JobTransitions.EnsureCanMove(from, to));
    }

    [TestCaseSource(nameof(IllegalMoves))]
    public void CanMove_IsFalse_ForEveryMoveOutsideTheTable(JobStatus from, JobStatus to) =>
        Assert.That(JobTransitions.CanMove(from, to), Is.False);

    [TestCase(JobStatus.Completed, JobStatus.Running)]
    [TestCase(JobStatus.Cancelled, JobStatus.Pending)]
    [TestCase(JobStatus.Pending, JobStatus.Completed)]
    public void EnsureCanMove_Throws_NamingBothStates_WhenMoveIsIllegal(JobStatus from, JobStatus to)
    {
        var ex = Assert.Throws<InvalidJobTransitionException>(() => JobTransitions.EnsureCanMove(from, to));
        Assert.That(ex.From, Is.EqualTo(from));
        Assert.That(ex.To, Is.EqualTo(to));
        Assert.That(ex.Message, Does.Contain($"'{from.ToWire()}'").And.Contain($"'{to.ToWire()}'"));
    }

    [Test]
    public void TerminalStatuses_HaveNoWayOut()
    {
        Assert.That(JobTransitions.TargetsOf(JobStatus.Completed), Is.Empty);
        Assert.That(JobTransitions.TargetsOf(JobStatus.Cancelled), Is.Empty);
    }

    [Test]
    public void SourcesOf_Running_ArePendingAndFailed() =>
        Assert.That(JobTransitions.SourcesOf(JobStatus.Running), Is.EquivalentTo(new[] { "pending", "failed" }));

    [Test]
    public void SourcesOf_Pending_AreRunningFailedAndDead() =>
        Assert.That(JobTransitions.SourcesOf(JobStatus.Pending), Is.EquivalentTo(new[] { "running", "failed", "dead" }));
}
