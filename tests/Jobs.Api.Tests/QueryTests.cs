using System.Net;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Jobs.Api.Tests;

public sealed class QueryTests : ApiFixture
{
    [Test]
    public async Task Get_ReturnsTheJob()
    {
        var job = await EnqueueAsync("""{"type":"get.me","priority":7}""");

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(job));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Envelope.Error(body), Is.Null);
        Assert.That((Id(body["data"]!), body["data"]!["priority"]!.GetValue<int>()), Is.EqualTo((Id(job), 7)));
    }

    [Test]
    public async Task Get_ShowsATenantsJob_ToTheAdmin()
    {
        var job = await EnqueueAsync("""{"type":"admin.sees"}""");

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Id(job), client: Admin);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Id(body["data"]!), Is.EqualTo(Id(job)));
    }

    [Test]
    public async Task Get_Answers404_ForAnUnknownId()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/" + Guid.CreateVersion7());

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Envelope.Error(body), Does.Contain("not found"));
    }

    [TestCase("/api/v1/jobs/not-a-uuid", TestName = "Get_Answers400_ForANonUuidId")]
    [TestCase("/api/v1/jobs/not-a-uuid/result", TestName = "GetResult_Answers400_ForANonUuidId")]
    public async Task Get_Answers400_ForANonUuidId(string url)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, url);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain("'not-a-uuid'").And.Contain("UUID"));
    }

    [Test]
    public async Task GetResult_Answers204_WhileTheJobIsPending()
    {
        var job = await EnqueueAsync("""{"type":"no.result.yet"}""");

        using var response = await Client.GetAsync($"/api/v1/jobs/{Id(job)}/result", Ct);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues("X-Job-Status"), Is.EqualTo(new[] { "pending" }));
    }

    [Test]
    public async Task List_FiltersByStatusTypeQueueAndTags()
    {
        var type = "list." + Guid.NewGuid().ToString("N")[..8];
        var prod = await EnqueueAsync($$$"""{"type":"{{{type}}}","tags":{"env":"prod","team":"a"}}""");
        var bulk = await EnqueueAsync($$$"""{"type":"{{{type}}}","queue_name":"bulk","tags":{"env":"dev"}}""");
        var cancelled = await EnqueueAsync($$$"""{"type":"{{{type}}}"}""");
        await EnqueueAsync("""{"type":"some.other.type","tags":{"env":"prod"}}""");
        Assert.That((await SendAsync(HttpMethod.Delete, "/api/v1/jobs/" + Id(cancelled))).Status, Is.EqualTo(HttpStatusCode.OK));

        Assert.That(await ListIdsAsync($"type={type}"), Is.EquivalentTo(new[] { Id(prod), Id(bulk), Id(cancelled) }));
        Assert.That(await ListIdsAsync($"type={type}&status=cancelled"), Is.EquivalentTo(new[] { Id(cancelled) }));
        Assert.That(await ListIdsAsync($"type={type}&status=pending"), Is.EquivalentTo(new[] { Id(prod), Id(bulk) }));
        Assert.That(await ListIdsAsync($"type={type}&queue=bulk"), Is.EquivalentTo(new[] { Id(bulk) }));
        Assert.That(await ListIdsAsync($"type={type}&tags=env:prod"), Is.EquivalentTo(new[] { Id(prod) }));
        Assert.That(await ListIdsAsync($"type={type}&tags=env:prod,team:a"), Is.EquivalentTo(new[] { Id(prod) }));
        Assert.That(await ListIdsAsync($"type={type}&tags=env:prod,team:b"), Is.Empty);
    }

    [Test]
    public async Task List_ReportsPaginationInMeta()
    {
        var type = "page." + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("[" + string.Join(",", Enumerable.Repeat($$$"""{"type":"{{{type}}}"}""", 5)) + "]"));

        var (_, first) = await SendAsync(HttpMethod.Get, $"/api/v1/jobs?type={type}&limit=2&offset=0");
        var (_, last) = await SendAsync(HttpMethod.Get, $"/api/v1/jobs?type={type}&limit=2&offset=4");
        var (_, past) = await SendAsync(HttpMethod.Get, $"/api/v1/jobs?type={type}&limit=2&offset=10");

        Assert.That(Meta(first), Is.EqualTo((5L, 2, 0, true)));
        Assert.That(first["data"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(Meta(last), Is.EqualTo((5L, 2, 4, false)));
        Assert.That(last["data"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(Meta(past), Is.EqualTo((5L, 2, 10, false)));
        Assert.That(past["data"]!.AsArray(), Is.Empty);
    }

    [TestCase("limit=0", TestName = "List_Answers400_ForLimitZero")]
    [TestCase("limit=101", TestName = "List_Answers400_ForLimitOver100")]
    [TestCase("offset=-1", TestName = "List_Answers400_ForANegativeOffset")]
    [TestCase("status=sleeping", TestName = "List_Answers400_ForAnUnknownStatus")]
    [TestCase("queue=urgent", TestName = "List_Answers400_ForAnUnknownQueue")]
    [TestCase("tags=novalue", TestName = "List_Answers400_ForATagWithoutValue")]
    public async Task List_Answers400_ForABadQuery(string query)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain(query.Split('=')[0]).Or.Contain(query.Split('=')[1]));
    }

    [Test]
    public async Task Cursor_PagesThroughEveryJobOnce_FollowingNextCursor()
    {
        var type = "cursor." + Guid.NewGuid().ToString("N")[..8];
        var (created, batch) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("[" + string.Join(",", Enumerable.Repeat($$$"""{"type":"{{{type}}}"}""", 7)) + "]"));
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created));
        var expected = batch["data"]!.AsArray().Select(j => Id(j!)).ToList();

        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 10; page++)
        {
            var url = $"/api/v1/jobs/cursor?type={type}&limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var (status, body) = await SendAsync(HttpMethod.Get, url);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
            var data = body["data"]!;
            seen.AddRange(data["items"]!.AsArray().Select(j => Id(j!)));
            Assert.That(data["limit"]!.GetValue<int>(), Is.EqualTo(3));
            cursor = data["next_cursor"]?.GetValue<string>();
            Assert.That(data["has_more"]!.GetValue<bool>(), Is.EqualTo(cursor is not null));
            if (cursor is null)
            {
                break;
            }

            // A newer job arriving between pages must not shift them.
            await EnqueueAsync($$$"""{"type":"{{{type}}}"}""");
        }

        Assert.That(seen, Has.Count.EqualTo(7));
        Assert.That(seen, Is.EquivalentTo(expected));
    }

    [Test]
    public async Task Cursor_Answers400_ForAnInvalidCursor()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs/cursor?cursor=not-a-cursor");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Does.Contain("cursor"));
    }

    private async Task<List<string>> ListIdsAsync(string query)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs?limit=100&" + query);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var ids = body["data"]!.AsArray().Select(j => Id(j!)).ToList();
        Assert.That(body["meta"]!["total_count"]!.GetValue<long>(), Is.EqualTo(ids.Count), query);
        return ids;
    }

    private static (long Total, int Limit, int Offset, bool HasMore) Meta(JsonNode body)
    {
        var m = body["meta"]!;
        return (m["total_count"]!.GetValue<long>(), m["limit"]!.GetValue<int>(), m["offset"]!.GetValue<int>(), m["has_more"]!.GetValue<bool>());
    }
}
