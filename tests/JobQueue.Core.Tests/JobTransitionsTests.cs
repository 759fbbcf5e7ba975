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
    public void CanMove_IsTrue_ForEveryMoveInTheTable(JobStatus from, JobStatus to) =>
        Assert.That(JobTransitions.CanMove(from, to), Is.True);

    [TestCaseSource(nameof(IllegalMoves))]
    public void CanMove_IsFalse_ForEveryMoveOutsideTheTable(JobStatus from, JobStatus to) =>
        Assert.That(JobTransitions.CanMove(from, to), Is.False);

    [Test]
    public void TheStoresMoves_UseEveryEntryOfTheTable_AndNothingElse()
    {
        var used = JobTransitions.Moves.SelectMany(m => m.From.Select(from => (from, m.To))).Distinct();

        Assert.That(used, Is.EquivalentTo(Legal));
    }

    [Test]
    public void TerminalStatuses_HaveNoWayOut()
    {
        var targets = Enum.GetValues<JobStatus>();
        Assert.That(targets.Where(t => JobTransitions.CanMove(JobStatus.Completed, t) || JobTransitions.CanMove(JobStatus.Cancelled, t)), Is.Empty);
    }

    [Test]
    public void AMove_SpellsItsStatusesForSql()
    {
        Assert.That(JobTransitions.Claim.FromWire, Is.EqualTo(new[] { "pending", "failed" }));
        Assert.That(JobTransitions.Claim.SourcesSql(), Is.EqualTo("status IN ('pending', 'failed')"));
        Assert.That(JobTransitions.Rescue.SourcesSql("j.status"), Is.EqualTo("j.status = 'running'"));
        Assert.That(JobTransitions.Complete.TargetSql, Is.EqualTo("'completed'"));
    }
}
