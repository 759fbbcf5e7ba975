using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// Cron through the gateway with two scheduler replicas: a schedule firing every second enqueues exactly one job
/// per tick, whichever replica leads (and even if both briefly believe they do: the tick is a compare-and-set).
/// </summary>
[TestFixture]
public sealed class CronTests
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task EverySecondSchedule_WithTwoSchedulerReplicas_FiresEachTickExactlyOnce()
    {
        Assert.That(_sut.Processes.Count(p => p.Resource == "scheduler" && p.IsAlive), Is.EqualTo(2), "two scheduler replicas run");

        using var created = await _sut.Client.PostAsJsonAsync("/api/v1/cron",
            new { name = "every-second", job_type = "noop", cron_expression = "* * * * * *", tags = new { team = "e2e" } });
        var body = await created.EnvelopeAsync();
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        var id = body.GetProperty("data").GetProperty("id").GetGuid();

        List<JsonElement> jobs = [];
        await WaitUntil(async () => (jobs = await JobsOfAsync(id)).Count >= 6, Bound, $"schedule {id} fired 6 times");

        using var disabled = await _sut.Client.PatchAsync($"/api/v1/cron/{id}", JsonContent.Create(new { enabled = false }));
        Assert.That(disabled.StatusCode, Is.EqualTo(HttpStatusCode.OK), (await disabled.EnvelopeAsync()).ToString());
        jobs = await JobsOfAsync(id); // after the last tick that could have fired

        var perTick = jobs.GroupBy(j => j.GetProperty("tags").GetProperty("cron_tick").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(perTick, Has.Count.GreaterThanOrEqualTo(5), "at least five ticks fired");
            Assert.That(perTick.Where(t => t.Value != 1).Select(t => $"{t.Key}: {t.Value} jobs"), Is.Empty, "one job per tick");
            Assert.That(perTick.Keys.Select(DateTimeOffset.Parse).Select(t => t.Millisecond), Is.All.Zero, "ticks are whole seconds");
            Assert.That(jobs.Select(j => j.GetProperty("tags").GetProperty("cron").GetString()), Is.All.EqualTo("every-second"));
            Assert.That(jobs.Select(j => j.GetProperty("type").GetString()), Is.All.EqualTo("noop"));
        }

        // The fired jobs run like any other.
        await _sut.WaitForStatusAsync(jobs.Select(j => j.GetProperty("id").GetGuid()).ToList(), "completed", Bound);

        using var deleted = await _sut.Client.DeleteAsync($"/api/v1/cron/{id}");
        var deletedBody = await deleted.EnvelopeAsync();
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK), deletedBody.ToString());
        Assert.That(deletedBody.GetProperty("data").GetProperty("status").GetString(), Is.EqualTo("deleted"));
    }

    /// <summary>The schedule's jobs, through the API's tag filter (the firer tags each job with cron_id).</summary>
    private async Task<List<JsonElement>> JobsOfAsync(Guid scheduleId)
    {
        using var response = await _sut.Client.GetAsync($"/api/v1/jobs?tags=cron_id:{scheduleId}&limit=100");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return [.. body.GetProperty("data").EnumerateArray()];
    }
}
