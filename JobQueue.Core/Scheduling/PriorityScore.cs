using JobQueue.Core.Jobs;

namespace JobQueue.Core.Scheduling;

/// <summary>
/// Orders ready jobs. The score of a job is <c>readyAt(ms) − rank × agingStep(ms)</c> where
/// <c>rank = priority + queueWeight</c> (critical +10, default 0, bulk −10); the lowest score runs first.
/// <para>The rule in words: a job runs before every job of lower rank that became ready less than
/// <c>Δrank × agingStep</c> before it, and after every job that became ready earlier than that. So higher
/// priority wins among jobs of similar age, earlier schedule wins within a priority, and no job waits more than
/// <c>Δrank × agingStep</c> behind a stream of better-ranked newcomers: aging bounds starvation. With the default
/// step of 30 s, a priority-1 job overtakes fresh priority-10 jobs of its queue after 4.5 minutes.</para>
/// <para>The original scored <c>−priority × 1e15 + ns</c>, which made one priority step worth 11.6 days; the
/// bound here is explicit and configurable (<c>PRIORITY_AGING_STEP</c>).</para>
/// </summary>
public static class PriorityScore
{
    /// <summary>Default value of one rank step in time.</summary>
    public static readonly TimeSpan DefaultAgingStep = TimeSpan.FromSeconds(30);

    /// <summary>Extra rank of a queue: critical before default before bulk, in units of priority.</summary>
    public static int QueueWeight(string queue) => queue switch
    {
        QueueNames.Critical => 10,
        QueueNames.Bulk => -10,
        _ => 0,
    };

    /// <summary>The rank of a job: its priority plus its queue's weight.</summary>
    public static int Rank(int priority, string queue) => priority + QueueWeight(queue);

    /// <summary>The score of a job ready at <paramref name="readyAt"/> (lower runs first).</summary>
    public static double Score(DateTime readyAt, int priority, string queue, TimeSpan agingStep)
    {
        var readyMs = new DateTimeOffset(DateTime.SpecifyKind(readyAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        return readyMs - (Rank(priority, queue) * agingStep.TotalMilliseconds);
    }

    /// <summary>The score of a job ready at a Unix millisecond instant.</summary>
    public static double Score(long readyAtUnixMs, int priority, string queue, TimeSpan agingStep) =>
        readyAtUnixMs - (Rank(priority, queue) * agingStep.TotalMilliseconds);
}
