using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// The four places where this API once differed from the original Go JobQueue, replayed through the gateway as the
/// original's SDKs (Go, Node, Python; ../shared/reference/JOBQUEUE-GO.md §1.8) send and read them: their clients
/// keep working against us only if each answer has the original's shape.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class OriginalClientsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task Health_IsTheOriginalsTopLevelObject_NotAnEnvelope()
    {
        using var anonymous = _sut.CreateClient(null);
        using var response = await anonymous.GetAsync("/health");
        var health = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), health.ToString());
        Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(health.GetProperty("checks").GetProperty("postgres").GetString(), Is.EqualTo("ok"));
        Assert.That(health.GetProperty("checks").GetProperty("redis").GetString(), Is.EqualTo("ok"));
        Assert.That(health.GetProperty("uptime").GetString(), Is.Not.Empty);
        Assert.That(health.TryGetProperty("data", out _), Is.False, "no envelope around it");
    }

    [Test]
    public async Task GetJobResult_IsTheStoredJsonItself_And204WhileThereIsNone()
    {
        var waiting = await _sut.EnqueueIdAsync(new { type = "echo", scheduled_at = Api.Rfc3339(DateTime.UtcNow.AddHours(1)) });
        using (var none = await _sut.Client.GetAsync($"/api/v1/jobs/{waiting}/result"))
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(await none.Content.ReadAsStringAsync(), Is.Empty);
        }

        var done = await _sut.EnqueueIdAsync(new { type = "echo", payload = new { report = "q3", pages = 12 } });
        await _sut.WaitForJobAsync(done, "completed", Bound);
        using var result = await _sut.Client.GetAsync($"/api/v1/jobs/{done}/result");
        Assert.That(result.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(result.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = JsonSerializer.Deserialize<JsonElement>(await result.Content.ReadAsStringAsync());
        Assert.That((body.GetProperty("report").GetString(), body.GetProperty("pages").GetInt32()), Is.EqualTo(("q3", 12)), body.ToString());
    }

    [Test]
    public async Task CreateWebhook_WithoutEvents_IsSubscribedToTheOriginalsDefaults()
    {
        using var tenant = await _sut.RegisterTenantAsync("original-webhook");
        using var created = await tenant.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/jobqueue" });
        var hook = (await created.EnvelopeAsync()).GetProperty("data");
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), hook.ToString());

        string[] defaults = ["job.completed", "job.failed", "job.dead"];
        Assert.That(hook.GetProperty("events").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(defaults));
        var listed = (await tenant.GetFromJsonAsync<JsonElement>("/api/v1/webhooks")).GetProperty("data").EnumerateArray().Single();
        Assert.That(listed.GetProperty("events").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(defaults), "and lists them");
    }

    [Test]
    public async Task CreateApiKey_WithThePythonSdksFreeTier_IsAccepted_AHigherTierIsRefused()
    {
        using var anonymous = _sut.CreateClient(null);
        using var registered = await anonymous.PostAsJsonAsync("/auth/register", new { email = $"original-py-{Guid.NewGuid():N}@example.com", password = "correct horse battery staple" });
        var token = (await registered.EnvelopeAsync()).GetProperty("data").GetProperty("token").GetString();
        using var account = _sut.CreateClient(null);
        account.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var created = await account.PostAsJsonAsync("/api/v1/keys", new { name = "from-python", tier = "free" });
        var key = (await created.EnvelopeAsync()).GetProperty("data");
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), key.ToString());
        Assert.That((key.GetProperty("tier").GetString(), key.GetProperty("key").GetString()![..4]), Is.EqualTo(("free", "qly_")));

        using var higher = await account.PostAsJsonAsync("/api/v1/keys", new { name = "upgrade-by-asking", tier = "business" });
        var refusal = await higher.ErrorEnvelopeAsync(HttpStatusCode.Forbidden);
        Assert.That(refusal.GetProperty("error").GetString(), Does.Contain("free tier"));
    }
}
