using System.Net;
using System.Net.Http.Headers;
using System.Text;
using NUnit.Framework;

namespace Jobs.Api.Tests;

/// <summary>
/// Input Postgres cannot store (NUL characters, lone surrogates, bytes that are not UTF-8, numbers beyond jsonb's
/// numeric range) and input beyond the stated per-job bounds: each is a 4xx in the envelope naming the field, and
/// creates nothing. Before the shared checks in JsonBody and the request pipeline these were 500s.
/// </summary>
public sealed class HostileInputTests : ApiFixture
{
    private const string Nul = "\\u0000";

    [TestCase("""{"type":"a%b"}""", "'type'")]
    [TestCase("""{"type":"x","payload":{"k":"a%b"}}""", "'payload.k'")]
    [TestCase("""{"type":"x","payload":{"deep":[1,{"v":"%"}]}}""", "'payload.deep[1].v'")]
    [TestCase("""{"type":"x","payload":{"a%":1}}""", "'payload'")]
    [TestCase("""{"type":"x","tags":{"env":"%"}}""", "'tags.env'")]
    [TestCase("""{"type":"x","tags":{"%":"v"}}""", "'tags'")]
    public async Task Enqueue_Answers422_NamingTheField_ForANulCharacter(string template, string field)
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json(template.Replace("%", Nul, StringComparison.Ordinal)));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain(field).And.Contain("NUL"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [Test]
    public async Task Batch_Answers422_NamingTheItem_ForANulCharacter()
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("""[{"type":"ok"},{"type":"x","payload":{"s":"\u0000"}}]"""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("'[1].payload.s'"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [TestCase("/api/v1/jobs?type=%00", "'type'")]
    [TestCase("/api/v1/jobs?tags=%00:%00", "'tags'")]
    [TestCase("/api/v1/jobs?status=pending&type=a%00b", "'type'")]
    public async Task List_Answers400_NamingTheParameter_ForANulCharacter(string url, string parameter)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, url);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain(parameter).And.Contain("NUL"));
    }

    [TestCase("""{"type":"x","payload":{"s":"\ud800"}}""")]
    [TestCase("""{"type":"x","payload":{"s":"a\udc00b"}}""")]
    [TestCase("""{"type":"\ud83d"}""")]
    [TestCase("""{"type":"x","payload":{"\ud800":1}}""")]
    public async Task Enqueue_Answers400MalformedJson_ForALoneSurrogate(string json)
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json(json));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.StartWith("malformed JSON"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [TestCase(new byte[] { 0xff, 0xfe })]
    [TestCase(new byte[] { 0xed, 0xa0, 0x80 })] // a surrogate encoded as UTF-8 ("CESU"): not UTF-8
    [TestCase(new byte[] { 0xc3 })]
    public async Task Enqueue_Answers400MalformedJson_ForBytesThatAreNotUtf8(byte[] bad)
    {
        var total = await TotalJobsAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"x\",\"payload\":{\"s\":\"").Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}}")).ToArray();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", content);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.StartWith("malformed JSON"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [TestCase("1e999999")]
    [TestCase("-1e131072")]
    [TestCase("1e-999999")]
    [TestCase("0.0000e-99999")]
    [TestCase("1e310")]
    public async Task Enqueue_Answers422_NamingTheField_ForANumberThatCannotBeStored(string number)
    {
        var total = await TotalJobsAsync();

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json("""{"type":"x","payload":{"n":""" + number + "}}"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("'payload.n'"));
        Assert.That(await TotalJobsAsync(), Is.EqualTo(total), "nothing was created");
    }

    [TestCase("1.7976931348623157e308")]
    [TestCase("-5e-324")]
    [TestCase("123456789012345678901234567890")]
    [TestCase("0e999999")]
    public async Task Enqueue_Accepts_NumbersA64BitFloatCanHold(string number)
    {
        var job = await EnqueueAsync("""{"type":"x","payload":{"n":""" + number + "}}");

        Assert.That(job["payload"]!["n"], Is.Not.Null);
    }

    [Test]
    public async Task Enqueue_Answers422_ForMoreTagsThanTheBound()
    {
        var tags = string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"t{i}\":\"v\""));

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json("""{"type":"x","tags":{""" + tags + "}}"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain("at most 50 tags"));
    }

    [Test]
    public async Task Enqueue_Accepts_ExactlyTheBounds()
    {
        var tags = string.Join(",", Enumerable.Range(0, 49).Select(i => $"\"t{i}\":\"v\""));
        var json = "{\"type\":\"" + new string('t', 200) + "\",\"tags\":{" + tags + ",\"" + new string('k', 64) + "\":\"" + new string('v', 256) + "\"}}";

        var job = await EnqueueAsync(json);

        Assert.That(job["tags"]!.AsObject(), Has.Count.EqualTo(50));
    }

    [TestCase(65, 1, "tag names")]
    [TestCase(1, 257, "tag values")]
    public async Task Enqueue_Answers422_ForATagBeyondTheBounds(int keyLength, int valueLength, string message)
    {
        var json = "{\"type\":\"x\",\"tags\":{\"" + new string('k', keyLength) + "\":\"" + new string('v', valueLength) + "\"}}";

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs/batch", Json("[" + json + "]"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain(message).And.Contain("job[0]"));
    }
}
