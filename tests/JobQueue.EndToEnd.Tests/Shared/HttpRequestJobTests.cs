using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// <c>http.request</c> jobs against a local server whose answers Postgres cannot store as they are: the job still
/// completes (the body kept as a string), and a batch-mate's completion is not dragged down with it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HttpRequestJobTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;
    private WebApplication _remote = null!;
    private int _port;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        _port = FreePort.Get();
        builder.WebHost.UseUrls($"http://127.0.0.1:{_port}");
        _remote = builder.Build();
        _remote.MapGet("/json-nul", () => Results.Text("""{"a":"x\u0000y","ok":true}""", "application/json"));
        _remote.MapGet("/json-huge-number", () => Results.Text("""{"n":1e999999}""", "application/json"));
        _remote.MapGet("/text-nul", () => Results.Text("a\0b", "text/plain"));
        _remote.MapGet("/json", () => Results.Text("""{"ok":true}""", "application/json"));
        await _remote.StartAsync();
        _sut = SharedSystem.System;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_remote is not null)
        {
            await _remote.DisposeAsync();
        }
    }

    [TestCase("/json-nul", """{"a":"x\u0000y","ok":true}""")]
    [TestCase("/json-huge-number", """{"n":1e999999}""")]
    [TestCase("/text-nul", "a\uFFFDb")]
    public async Task AnAnswerPostgresCannotStoreAsJson_CompletesTheJob_WithTheBodyAsAString(string path, string expectedBody)
    {
        var id = await _sut.EnqueueIdAsync(new JsonObject { ["type"] = "http.request", ["payload"] = new JsonObject { ["url"] = $"http://127.0.0.1:{_port}{path}" } });
        var plain = await _sut.EnqueueIdAsync(new JsonObject { ["type"] = "http.request", ["payload"] = new JsonObject { ["url"] = $"http://127.0.0.1:{_port}/json" } });

        await _sut.WaitForJobAsync(id, "completed", Bound);
        await _sut.WaitForJobAsync(plain, "completed", Bound);

        var result = await ResultAsync(id);
        Assert.That(result.GetProperty("status").GetInt32(), Is.EqualTo(200));
        Assert.That(result.GetProperty("body").ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(result.GetProperty("body").GetString(), Is.EqualTo(expectedBody));
        Assert.That((await ResultAsync(plain)).GetProperty("body").GetProperty("ok").GetBoolean(), Is.True, "JSON that can be stored stays JSON");
    }

    private async Task<JsonElement> ResultAsync(Guid id)
    {
        using var response = await _sut.Client.GetAsync($"/api/v1/jobs/{id}/result");
        return await response.EnvelopeAsync(); // the stored JSON itself
    }
}
