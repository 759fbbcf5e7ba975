using System.Text.Json.Nodes;
using JobQueue.Core.Jobs;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class JobStoreEnqueueTests : PostgresFixture
{
    [Test]
    public async Task Insert_ThenGet_ReturnsTheJobAsWritten()
    {
        var job = JobFactory.New(new JobOpts
        {
            Type = "report.build",
            Priority = 8,
            Queue = QueueNames.Critical,
            MaxAttempts = 3,
            TtlSeconds = 600,
            TimeoutSeconds = 30,
        }) with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        await Store.JobsInsertAsync([job], Ct);
        var read = await Store.JobsGetAsync(job.Id, job.Owner, Ct);

        Assert.That(read, Is.Not.Null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(read!.Status, Is.EqualTo(JobStatus.Pending));
            Assert.That(read.Attempts, Is.Zero);
            Assert.That(read.Type, Is.EqualTo("report.build"));
            Assert.That(read.Priority, Is.EqualTo(8));
            Assert.That(read.QueueName, Is.EqualTo(QueueNames.Critical));
            Assert.That(read.MaxAttempts, Is.EqualTo(3));
            Assert.That(read.TtlSeconds, Is.EqualTo(600));
            Assert.That(read.TimeoutSeconds, Is.EqualTo(30));
            Assert.That(read.CreatedAt, Is.EqualTo(job.CreatedAt));
            Assert.That(read.ScheduledAt, Is.EqualTo(job.ScheduledAt));
            Assert.That(read.TraceParent, Is.EqualTo(job.TraceParent));
            Assert.That(read.WorkerId, Is.Null);
            Assert.That(read.Result, Is.Null);
        }
    }

    [Test]
    public async Task Insert_ThenGet_PreservesPayloadAndTagsAsJson()
    {
        // A number beyond double precision and nesting: jsonb keeps numeric digits exactly (it does normalise
        // whitespace and key order, so the comparison is of JSON values, not text).
        const string payload = """{"to":"a@example.com","n":12345678901234567890,"nested":{"list":[1,2.50,"x"],"flag":true,"none":null}}""";
        const string tags = """{"env":"prod","team":"billing"}""";
        var job = await JobFactory.CreateAsync(Store, new JobOpts { Payload = payload, Tags = tags }, Ct);

        var read = await GetAsync(job.Id);

        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read!.Payload), JsonNode.Parse(payload)), Is.True, read.Payload);
        Assert.That(read.Payload, Does.Contain("12345678901234567890"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read.Tags), JsonNode.Parse(tags)), Is.True, read.Tags);
    }

    [Test]
    public async Task Get_ReturnsNull_ForAnotherOwner()
    {
        var job = await JobFactory.CreateAsync(Store, new JobOpts { Owner = "t1" }, Ct);

        Assert.That(await Store.JobsGetAsync(job.Id, "t2", Ct), Is.Null);
    }

    [Test]
    public async Task Get_ReturnsTheJob_ForAnAdmin()
    {
        var job = await JobFactory.CreateAsync(Store, new JobOpts { Owner = "t1" }, Ct);

        var read = await Store.JobsGetAsync(job.Id, owner: null, Ct);

        Assert.That(read?.Owner, Is.EqualTo("t1"));
    }

    [Test]
    public async Task Get_ReturnsNull_ForAnUnknownId()
    {
        Assert.That(await Store.JobsGetAsync(Guid.CreateVersion7(), null, Ct), Is.Null);
    }

    [Test]
    public async Task Insert_StoresNone_WhenOneJobOfTheBatchBreaksAConstraint()
    {
        var owner = JobFactory.NewOwner();
        var good = JobFactory.New(new JobOpts { Owner = owner });
        var bad = JobFactory.New(new JobOpts { Owner = owner, Priority = 11 });

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Store.JobsInsertAsync([good, bad], Ct));

        Assert.That(await GetAsync(good.Id), Is.Null, "a batch is all or nothing");
    }

    [Test]
    public async Task GetResult_ReturnsStatusWithoutResult_WhilePending()
    {
        var job = await JobFactory.CreateAsync(Store, ct: Ct);

        var row = await Store.JobsGetResultAsync(job.Id, job.Owner, Ct);

        Assert.That(row, Is.EqualTo(("pending", (string?)null)));
    }
}
