using System.Net;
using System.Text.Json.Nodes;
using JobQueue.Testing;
using NUnit.Framework;

namespace Webhook.Dispatcher.Tests;

/// <summary>/api/v1/webhooks through the HTTP surface: CRUD, strict validation, tenant scoping, the write-only secret.</summary>
public sealed class WebhooksApiTests() : DispatcherFixture(new Dictionary<string, string> { ["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "loopback" })
{
    [Test]
    public async Task Create_GeneratesASecret_ShownOnce_AndNeverByGetOrList()
    {
        var created = await SubscribeAsync(Tenant, """{"url":"https://example.com/a","events":["job.completed","job.dead"],"description":"ops"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created["secret"]!.GetValue<string>(), Does.StartWith("whsec_"));
            Assert.That(created["has_secret"]!.GetValue<bool>(), Is.True);
            Assert.That(created["events"]!.AsArray().Select(e => e!.GetValue<string>()), Is.EqualTo(new[] { "job.completed", "job.dead" }));
            Assert.That(created["enabled"]!.GetValue<bool>(), Is.True);
        }

        var (_, got) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{Id(created)}");
        var (_, list) = await SendAsync(Tenant, HttpMethod.Get, "/api/v1/webhooks");
        var listed = list["data"]!.AsArray().Single(w => w!["id"]!.GetValue<string>() == Id(created).ToString())!;
        Assert.That(got["data"]!.AsObject().ContainsKey("secret"), Is.False, got.ToJsonString());
        Assert.That(listed.AsObject().ContainsKey("secret"), Is.False, listed.ToJsonString());
        Assert.That(got.ToJsonString() + list.ToJsonString(), Does.Not.Contain(created["secret"]!.GetValue<string>()));
    }

    [Test]
    public async Task Create_WithTheCallersSecret_DoesNotEchoIt()
    {
        var created = await SubscribeAsync(Tenant, """{"url":"https://example.com/b","secret":"my-own-secret-1234567"}""");

        Assert.That(created.AsObject().ContainsKey("secret"), Is.False);
        Assert.That(created["has_secret"]!.GetValue<bool>(), Is.True);
    }

    [TestCase("""{"url":"https://example.com/c"}""")]
    [TestCase("""{"url":"https://example.com/c","events":[]}""")]
    public async Task Create_WithoutEvents_SubscribesToTheOriginalsDefaults(string json)
    {
        // The original's clients create webhooks without events and expect outcomes only.
        var created = await SubscribeAsync(Tenant, json);

        Assert.That(created["events"]!.AsArray().Select(e => e!.GetValue<string>()), Is.EqualTo(new[] { "job.completed", "job.failed", "job.dead" }));
    }

    [TestCase("""{"events":["job.completed"]}""", HttpStatusCode.UnprocessableEntity, "'url' is required")]
    [TestCase("""{"url":"gopher://example.com"}""", HttpStatusCode.UnprocessableEntity, "absolute http or https URL")]
    [TestCase("""{"url":"http://10.0.0.5/hook"}""", HttpStatusCode.UnprocessableEntity, "is refused")]
    [TestCase("""{"url":"https://example.com","events":["job.exploded"]}""", HttpStatusCode.UnprocessableEntity, "unknown event 'job.exploded'")]
    [TestCase("""{"url":"https://example.com","secret":"short"}""", HttpStatusCode.UnprocessableEntity, "'secret' must be 16 to 256 characters")]
    [TestCase("""{"url":"https://example.com","retries":3}""", HttpStatusCode.BadRequest, "unknown field 'retries'")]
    [TestCase("""{"url":["https://example.com"]}""", HttpStatusCode.BadRequest, "'url' must be a string")]
    [TestCase("""[1]""", HttpStatusCode.BadRequest, "expected a JSON object")]
    [TestCase("""{"url":""", HttpStatusCode.BadRequest, "malformed JSON")]
    public async Task Create_RefusesBadInput_WithTheReason(string json, HttpStatusCode expected, string message)
    {
        var (status, body) = await SendAsync(Tenant, HttpMethod.Post, "/api/v1/webhooks", json);

        Assert.That(status, Is.EqualTo(expected), body.ToJsonString());
        Assert.That(Envelope.Error(body), Does.Contain(message));
    }

    [Test]
    public async Task AnotherTenantsWebhook_Is404_ForEveryRoute()
    {
        var theirs = await SubscribeAsync(Admin, """{"url":"https://example.com/admin"}""");
        var id = Id(theirs);

        foreach (var (method, url, json) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, $"/api/v1/webhooks/{id}", null),
            (HttpMethod.Patch, $"/api/v1/webhooks/{id}", """{"enabled":false}"""),
            (HttpMethod.Get, $"/api/v1/webhooks/{id}/deliveries", null),
            (HttpMethod.Post, $"/api/v1/webhooks/{id}/test", null),
            (HttpMethod.Delete, $"/api/v1/webhooks/{id}", null),
        })
        {
            var (status, body) = await SendAsync(Tenant, method, url, json);
            Assert.That((status, Envelope.Error(body)), Is.EqualTo((HttpStatusCode.NotFound, (string?)$"webhook {id} not found")), $"{method} {url}");
        }

        var (_, list) = await SendAsync(Tenant, HttpMethod.Get, "/api/v1/webhooks");
        Assert.That(list["data"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()), Does.Not.Contain(id.ToString()));
        var (adminStatus, _) = await SendAsync(Admin, HttpMethod.Get, $"/api/v1/webhooks/{id}");
        Assert.That(adminStatus, Is.EqualTo(HttpStatusCode.OK), "still there");
    }

    [Test]
    public async Task Patch_ChangesTheGivenFields_AndDeleteRemovesIt()
    {
        var created = await SubscribeAsync(Tenant, """{"url":"https://example.com/c"}""");
        var id = Id(created);

        var (status, patched) = await SendAsync(Tenant, HttpMethod.Patch, $"/api/v1/webhooks/{id}", """{"events":["job.failed"],"enabled":false,"url":"https://example.org/c"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), patched.ToJsonString());
        var data = patched["data"]!;
        Assert.That((data["url"]!.GetValue<string>(), data["enabled"]!.GetValue<bool>(), data["events"]![0]!.GetValue<string>()),
            Is.EqualTo(("https://example.org/c", false, "job.failed")));
        var (emptyStatus, empty) = await SendAsync(Tenant, HttpMethod.Patch, $"/api/v1/webhooks/{id}", "{}");
        Assert.That((emptyStatus, Envelope.Error(empty)), Is.EqualTo((HttpStatusCode.UnprocessableEntity, (string?)"nothing to change: send any of url, events, secret, description, enabled")));

        var (deleted, _) = await SendAsync(Tenant, HttpMethod.Delete, $"/api/v1/webhooks/{id}");
        var (gone, _) = await SendAsync(Tenant, HttpMethod.Get, $"/api/v1/webhooks/{id}");
        Assert.That((deleted, gone), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.NotFound)));
    }

    [TestCase("/api/v1/webhooks/not-a-uuid", HttpStatusCode.BadRequest, "invalid webhook id 'not-a-uuid': must be a UUID")]
    [TestCase("/api/v1/webhooks/00000000-0000-0000-0000-000000000001/deliveries?limit=0", HttpStatusCode.BadRequest, "limit must be an integer between 1 and 100, got '0'")]
    public async Task BadIdOrPaging_Is400(string url, HttpStatusCode expected, string message)
    {
        var (status, body) = await SendAsync(Tenant, HttpMethod.Get, url);
        Assert.That((status, Envelope.Error(body)), Is.EqualTo((expected, (string?)message)));
    }

    [Test]
    public async Task WithoutAKey_Is401InTheEnvelope()
    {
        using var anonymous = Factory.CreateClient();
        using var response = await anonymous.GetAsync("/api/v1/webhooks", Ct);
        var body = await Envelope.ReadAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), body.ToJsonString());
    }
}
