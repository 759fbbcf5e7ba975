using System.Net;
using System.Net.Http.Headers;
using NUnit.Framework;

namespace Jobs.Api.Tests;

public sealed class EnvelopeAndAuthTests : ApiFixture
{
    [Test]
    public async Task Answer_EchoesTheCallersRequestId_InTheHeaderAndTheEnvelope()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/jobs");
        request.Headers.Add("X-Request-Id", "req-abc-123");

        using var response = await Client.SendAsync(request, Ct);
        var body = await Envelope.ReadAsync(response);

        Assert.That(response.Headers.GetValues("X-Request-Id"), Is.EqualTo(new[] { "req-abc-123" }));
        Assert.That(body["meta"]!["request_id"]!.GetValue<string>(), Is.EqualTo("req-abc-123"));
    }

    [Test]
    public async Task Answer_CarriesAGeneratedRequestId_WhenNoneIsSent()
    {
        using var response = await Client.GetAsync("/api/v1/jobs", Ct);
        var body = await Envelope.ReadAsync(response);

        var header = response.Headers.GetValues("X-Request-Id").Single();
        Assert.That(body["meta"]!["request_id"]!.GetValue<string>(), Is.EqualTo(header));
    }

    [Test]
    public async Task Request_IsRefusedWith401_WithoutAKey()
    {
        using var anonymous = Factory.CreateClient(apiKey: null);

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs", client: anonymous);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Envelope.Error(body), Does.Contain("API key"));
        Assert.That(body["data"], Is.Null);
    }

    [Test]
    public async Task Request_IsRefusedWith401_WithAWrongKey()
    {
        using var wrong = Factory.CreateClient("not-the-key");

        var (status, body) = await SendAsync(HttpMethod.Post, "/api/v1/jobs", Json("""{"type":"x"}"""), wrong);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Envelope.Error(body), Is.EqualTo("invalid API key"));
    }

    [Test]
    public async Task Request_IsAccepted_WithTheKeyAsABearerToken()
    {
        using var bearer = Factory.CreateClient(apiKey: null);
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JobsApiFactory.ApiKey);

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/jobs", client: bearer);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Envelope.Error(body), Is.Null);
    }

    [Test]
    public async Task UnknownRoute_Answers404InTheEnvelope()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/v1/nothing-here");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Envelope.Error(body), Does.Contain("/api/v1/nothing-here"));
    }

    [Test]
    public async Task Health_Answers200_WithBothDependenciesOk()
    {
        using var anonymous = Factory.CreateClient(apiKey: null);

        var (status, body) = await SendAsync(HttpMethod.Get, "/health", client: anonymous);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        // At the top level, not in the envelope: the original's SDKs read it so.
        Assert.That(body["status"]!.GetValue<string>(), Is.EqualTo("ok"));
        Assert.That(body["checks"]!["postgres"]!.GetValue<string>(), Is.EqualTo("ok"));
        Assert.That(body["checks"]!["redis"]!.GetValue<string>(), Is.EqualTo("ok"));
    }
}
