using System.Reflection;
using System.Text.RegularExpressions;
using JobQueue.Core.Jobs;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>
/// Ties every statement that writes <c>jobs.status</c> to its move in <see cref="JobTransitions"/>: the status it sets
/// is the move's target, and the statuses it expects are the move's sources, written from the move or bound as
/// <c>@from</c> (which the store fills with the move's <see cref="JobMove.FromWire"/>). A new status write without a
/// move here, or a hand-written status list in one, fails.
/// </summary>
public sealed partial class JobStatementsTests
{
    private static readonly Dictionary<string, JobMove> MoveOfStatement = new()
    {
        [nameof(JobSql.Claim)] = JobTransitions.Claim,
        // A remote worker's lease is the same move as a built-in worker's claim: a due waiting job starts running.
        [nameof(JobSql.Lease)] = JobTransitions.Claim,
        [nameof(JobSql.Complete)] = JobTransitions.Complete,
        [nameof(JobSql.Fail)] = JobTransitions.Fail,
        [nameof(JobSql.Kill)] = JobTransitions.Kill,
        [nameof(JobSql.MarkCancelled)] = JobTransitions.CancelRunning,
        [nameof(JobSql.CancelWaiting)] = JobTransitions.CancelWaiting,
        [nameof(JobSql.HandBack)] = JobTransitions.HandBack,
        [nameof(JobSql.RescueToPending)] = JobTransitions.Rescue,
        [nameof(JobSql.Retry)] = JobTransitions.Retry,
    };

    private static Dictionary<string, string> StatusWrites() =>
        typeof(JobSql).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(string))
            .Select(f => (f.Name, Sql: (string)f.GetValue(null)!))
            .Where(s => SetStatus().IsMatch(s.Sql))
            .ToDictionary(s => s.Name, s => s.Sql);

    [Test]
    public void EveryStatusWrite_HasAMove_AndEveryMoveAStatement()
    {
        Assert.That(StatusWrites().Keys, Is.EquivalentTo(MoveOfStatement.Keys), "statements that SET status");
        Assert.That(MoveOfStatement.Values.Distinct(), Is.EquivalentTo(JobTransitions.Moves));
    }

    private static IEnumerable<TestCaseData> Statements() =>
        MoveOfStatement.Select(kv => new TestCaseData(kv.Key, kv.Value).SetName($"{kv.Key} is the move {kv.Value.Name}"));

    [TestCaseSource(nameof(Statements))]
    public void TheStatement_SetsTheMovesTarget_FromTheMovesSources(string statement, JobMove move)
    {
        var sql = StatusWrites()[statement];

        Assert.That(SetStatus().Matches(sql).Select(m => m.Groups["target"].Value), Is.All.EqualTo(move.TargetSql), "SET status");
        var sources = Sources().Matches(SetStatus().Replace(sql, "")).Select(m => m.Value).ToList();
        Assert.That(sources, Is.Not.Empty, "a status write must be a compare-and-set on the expected statuses");
        Assert.That(sources, Is.All.Matches<string>(s => s!.EndsWith("ANY(@from)", StringComparison.Ordinal) || s.EndsWith(move.SourcesSql(), StringComparison.Ordinal)),
            $"expected {move.SourcesSql()} or status = ANY(@from)");
    }

    [GeneratedRegex(@"SET status = (?<target>'\w+')")]
    private static partial Regex SetStatus();

    // Every test of a job's status outside the SET clause: "status = 'x'", "j.status = ANY(@from)", "status IN ('a', 'b')".
    [GeneratedRegex(@"(?<![\w.])(?:j\.)?status (?:= ANY\(@\w+\)|= '\w+'|= @\w+|IN \([^)]*\))")]
    private static partial Regex Sources();
}
