using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using JobQueue.Storage.Redis;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Jobs.Api.Tests;

public sealed class EnqueueTests : ApiFixture
{
    [Test]
    public async Task Enqueue_Answers201_WithTheDefaultsFilledIn_AndIndexesTheJob()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);

        var job = await EnqueueAsync("""{"type":"email.send"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Guid.TryParse(Id(job), out _), Is.True);
            Assert.That(job["type"]!.GetValue<string>(), Is.EqualTo("email.send"));
            Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("pending"));
            Assert.That(job["priority"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(job["max_attempts"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(job["attempts"]!.GetValue<int>(), Is.Zero);
            Assert.That(job["queue_name"]!.GetValue<string>(), Is.EqualTo("default"));
            Assert.That(job["payload"]!.ToJsonString(), Is.EqualTo("{}"));
            Assert.That(job["tags"]!.ToJsonString(), Is.EqualTo("{}"));
            Assert.That(job["created_at"]!.GetValue<DateTime>(), Is.GreaterThan(before));
            Assert.That(job["scheduled_at"]!.GetValue<DateTime>(), Is.EqualTo(job["created_at"]!.GetValue<DateTime>()));
        }

        // email.send is no built-in type: it waits in Postgres for a remote worker's lease, never in Redis.
        var broker = Factory.Services.GetRequiredService<RedisBroker>();
        var redis = Factory.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        Assert.That(await redis.SortedSetScoreAsync(broker.Keys.Ready("default"), Id(job)), Is.Null, "a remote worker's job is not in the ready set");
    }

    [Test]
    public async Task Enqueue_OfABuiltInType_IndexesTheJobInItsReadySet()
    {
        var job = await EnqueueAsync("""{"type":"echo"}""");

        var broker = Factory.Services.GetRequiredService<RedisBroker>();
        var redis = Factory.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        Assert.That(await redis.SortedSetScoreAsync(broker.Keys.Ready("default"), Id(job)), Is.Not.Null, "a 201 job of a built-in type is in its ready set");
    }

    [Test]
    public async Task Enqueue_KeepsEveryGivenField()
    {
        var at = DateTime.UtcNow.AddHours(1);
        var job = await EnqueueAsync($$$"""
            {"type":"report","payload":{"n":12345678901234567890,"s":"x"},"priority":9,"max_attempts":2,"queue_name":"critical",
             "scheduled_at":"{{{at:yyyy-MM-ddTHH:mm:ss.ffffffZ}}}","ttl_seconds":60,"timeout_seconds":30,"tags":{"env":"prod"}}
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(job["priority"]!.GetValue<int>(), Is.EqualTo(9));
            Assert.That(job["max_attempts"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(job["queue_name"]!.GetValue<string>(), Is.EqualTo("critical"));
            Assert.That(job["ttl_seconds"]!.GetValue<int>(), Is.EqualTo(60));
            Assert.That(job["timeout_seconds"]!.GetValue<int>(), Is.EqualTo(30));
            Assert.That(job["payload"]!.ToJsonString(), Does.Contain("12345678901234567890"));
            Assert.That(job["tags"]!["env"]!.GetValue<string>(), Is.EqualTo("prod"));
            Assert.That(job["scheduled_at"]!.GetValue<DateTime>().ToUniversalTime(), Is.EqualTo(at).Within(TimeSpan.FromMilliseconds(1)));
        }

        var (status, read) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(job));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(JsonNode.DeepEquals(read["data"]!["payload"], job["payload"]), Is.True, "GET shows the payload the 201 showed");
    }

    [TestCase("""{"type":""", 400, "malformed JSON", TestName = "Enqueue_Answers400_ForMalformedJson")]
    [TestCase("""{}""", 422, "'type'", TestName = "Enqueue_Answers422_WhenTypeIsMissing")]
    [TestCase("""{"type":""}""", 422, "'type'", TestName = "Enqueue_Answers422_WhenTypeIsEmpty")]
    [TestCase("""{"type":5}""", 400, "'type'", TestName = "Enqueue_Answers400_WhenTypeIsANumber")]
    [TestCase("""{"type":"x","priority":0}""", 422, "'priority'", TestName = "Enqueue_Answers422_WhenPriorityIsZero")]
    [TestCase("""{"type":"x","priority":11}""", 422, "'priority'", TestName = "Enqueue_Answers422_WhenPriorityIsEleven")]
    [TestCase("""{"type":"x","priority":"5"}""", 400, "'priority'", TestName = "Enqueue_Answers400_WhenPriorityIsAString")]
    [TestCase("""{"type":"x","queue_name":"urgent"}""", 422, "queue 'urgent'", TestName = "Enqueue_Answers422_ForAnUnknownQueue")]
    [TestCase("""{"type":"x","max_attempts":0}""", 422, "'max_attempts'", TestName = "Enqueue_Answers422_WhenMaxAttemptsIsZero")]
    [TestCase("""{"type":"x","ttl_seconds":-1}""", 422, "'ttl_seconds'", TestName = "Enqueue_Answers422_WhenTtlIsNegative")]
    [TestCase("""{"type":"x","scheduled_at":"tomorrow"}""", 422, "'scheduled_at'", TestName = "Enqueue_Answers422_WhenScheduledAtIsNotRfc3339")]
    [TestCase("""{"type":"x","colour":"red"}""", 400, "'colour'", TestName = "Enqueue_Answers400_ForAnUnknownField")]
    [TestCase("""[{"type":"x"}]""", 400, "JSON object", TestName = "Enqueue_Answers400_ForAnArray")]
    public async Task Enqueue_RefusesABadRequest_NamingTheProblem_AndCreatesNothing(string json, int expectedStatus, string messagePart)
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json(json));

        Assert.That((int)status, Is.EqualTo(expectedStatus), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain(messagePart));
        Assert.That(body["data"], Is.Null);
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [Test]
    public async Task Enqueue_Answers415_ForAnotherContentType_AndCreatesNothing()
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", new StringContent("""{"type":"x"}""", Encoding.UTF8, "text/plain"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(Envelope.Error(body), Does.Contain("Content-Type"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total));
    }

    [Test]
    public async Task Batch_Answers201_WithEveryJob()
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("""[{"type":"a"},{"type":"b","priority":9},{"type":"c","queue_name":"bulk"}]"""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var jobs = body["data"]!.AsArray();
        Assert.That(jobs.Select(j => j!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(jobs.Select(j => Id(j!)).Distinct().Count(), Is.EqualTo(3));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total + 3));
    }

    [TestCase(0, TestName = "Batch_Answers422_ForNoJobs")]
    [TestCase(501, TestName = "Batch_Answers422_ForMoreThan500Jobs")]
    public async Task Batch_RefusesABadSize(int count)
    {
        var total = await TotalJobsAsync();
        var json = "[" + string.Join(",", Enumerable.Repeat("""{"type":"x"}""", count)) + "]";

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json(json));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(Envelope.Error(body), Does.Contain("batch"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total));
    }

    [Test]
    public async Task Batch_RejectsEveryJob_WhenOneItemIsInvalid()
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("""[{"type":"a"},{"type":"b","priority":0},{"type":"c"}]"""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(Envelope.Error(body), Does.Contain("job[1]").And.Contain("'priority'"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "none of the batch was created");
    }
}
