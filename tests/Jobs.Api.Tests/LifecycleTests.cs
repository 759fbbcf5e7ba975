using System.Globalization;
using System.Net;
using JobQueue.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Jobs.Api.Tests;

public sealed class LifecycleTests : ApiFixture
{
    [Test]
    public async Task Cancel_OfAPendingJob_Answers200_AndTheJobIsCancelled()
    {
        var job = await EnqueueAsync("""{"type":"cancel.me"}""");

        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(job));
        var (_, read) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(job));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body["data"]!["status"]!.GetValue<string>(), Is.EqualTo("cancelled"));
        Assert.That(read["data"]!["status"]!.GetValue<string>(), Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task Cancel_Answers409_WhenTheJobIsAlreadyCancelled()
    {
        var job = await EnqueueAsync("""{"type":"cancel.twice"}""");
        await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(job));

        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(job));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Envelope.Error(body), Does.Contain("cancelled"));
    }

    [Test]
    public async Task Cancel_Answers404_ForAnUnknownJob()
    {
        var (status, _) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Guid.CreateVersion7());

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Cancel_OfARunningJob_Answers202_WithCancelRequested()
    {
        var job = await EnqueueAsync("""{"type":"cancel.running"}""");
        var now = DateTime.UtcNow;
        var claimed = await Store.JobsClaimAsync(new JobsClaimParams([Guid.Parse(Id(job))], "w-test", now, now.AddMinutes(1)), Ct);
        Assert.That(claimed, Has.Count.EqualTo(1), "setup: claim");

        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(job));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(body["data"]!["cancel_requested"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public async Task Retry_OfAPendingJob_Answers409()
    {
        var job = await EnqueueAsync("""{"type":"retry.pending"}""");

        var (status, body) = await SendAsync(HttpMethod.Post, $"/api/v1/jobs/{Id(job)}/retry");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Envelope.Error(body), Does.Contain("pending"));
    }

    [Test]
    public async Task Retry_OfADeadJob_Answers200_AndTheJobIsPendingAgain()
    {
        var id = await DeadJobAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, $"/api/v1/jobs/{id}/retry");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That((body["data"]!["status"]!.GetValue<string>(), body["data"]!["attempts"]!.GetValue<int>()), Is.EqualTo(("pending", 0)));
    }

    [Test]
    public async Task Purge_Answers400_WithoutBefore()
    {
        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain("'before'"));
    }

    [Test]
    public async Task Purge_DeletesCancelledJobs_EndedBeforeTheTime_AndKeepsPendingOnes()
    {
        var cancelled = await EnqueueAsync("""{"type":"purge.cancelled"}""");
        var pending = await EnqueueAsync("""{"type":"purge.pending"}""");
        await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(cancelled));
        var before = DateTime.UtcNow.AddSeconds(1).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs?before=" + Uri.EscapeDataString(before));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That(body["data"]!["deleted"]!.GetValue<int>(), Is.GreaterThanOrEqualTo(1));
        Assert.That((await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(cancelled))).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(pending))).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Purge_Answers400_ForABeforeThatIsNotRfc3339()
    {
        var (status, body) = await SendAsync(HttpMethod.Delete, "/api/v1/jobs?before=yesterday");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain("yesterday"));
    }

    [Test]
    public async Task DlqRequeue_Answers404_ForAnUnknownEntry()
    {
        var (status, body) = await SendAsync(HttpMethod.Post, $"/api/v1/dlq/{Guid.CreateVersion7()}/requeue");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Envelope.Error(body), Does.Contain("DLQ entry"));
    }

    [Test]
    public async Task DlqRequeue_Answers201WithANewJob_ThenAnswers409()
    {
        await DeadJobAsync();
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/dlq?limit=100");
        var entryId = list["data"]!.AsArray().Last()!["id"]!.GetValue<string>();

        var (first, created) = await SendAsync(HttpMethod.Post, $"/api/v1/dlq/{entryId}/requeue");
        var (second, _) = await SendAsync(HttpMethod.Post, $"/api/v1/dlq/{entryId}/requeue");

        Assert.That(first, Is.EqualTo(HttpStatusCode.Created), created.ToJsonString());
        var newJob = created["data"]!["new_job"]!;
        Assert.That(newJob["requeued_from"]!.GetValue<string>(), Is.EqualTo(entryId));
        Assert.That(newJob["status"]!.GetValue<string>(), Is.EqualTo("pending"));
        Assert.That(second, Is.EqualTo(HttpStatusCode.Conflict));
    }

    private PostgresJobStore Store => Factory.Services.GetRequiredService<PostgresJobStore>();

    /// <summary>Enqueues a one-attempt job through the API and kills it through the store, as a worker would.</summary>
    private async Task<string> DeadJobAsync()
    {
        var job = await EnqueueAsync("""{"type":"will.die","max_attempts":1}""");
        var id = Guid.Parse(Id(job));
        var now = DateTime.UtcNow;
        var claimed = await Store.JobsClaimAsync(new JobsClaimParams([id], "w-test", now, now.AddMinutes(1)), Ct);
        var entry = await Store.JobsKillAsync(new JobsKillParams(id, 1, "w-test", "boom", now, TimeSpan.FromDays(1)), Ct);
        Assert.That((claimed.Count, entry.HasValue), Is.EqualTo((1, true)), "setup: claim and kill");
        return Id(job);
    }
}
