using System.Net;
using System.Text.Json.Nodes;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// <c>/ws</c> through the gateway (YARP passes the WebSocket upgrade on to jobs-api): a job enqueued through the
/// gateway is committed with its events, relayed by the scheduler to Redis and streamed by Jobs.Api.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LiveStreamTests
{
    /// <summary>A bound on how long a wait may take, not an assertion of speed.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SystemUnderTest _sut = null!;

    [OneTimeSetUp]
    public void UseTheSharedSystem() => _sut = SharedSystem.System;

    [Test]
    public async Task EchoJob_EnqueuedThroughTheGateway_IsStreamedEnqueuedStartedCompleted()
    {
        await using var socket = await LiveSocket.ConnectAsync(WsUri($"api_key={_sut.ApiKey}&types=job.enqueued,job.started,job.completed"));

        var id = (await _sut.EnqueueIdAsync(new JsonObject { ["type"] = "echo", ["payload"] = new JsonObject { ["n"] = 1 } })).ToString();

        var completed = await socket.NextAsync(f => f["job_id"]?.GetValue<string>() == id && f["type"]?.GetValue<string>() == "job.completed", Bound, "job.completed");
        var types = socket.Received.Where(f => f["job_id"]?.GetValue<string>() == id).Select(f => f["type"]!.GetValue<string>()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(types, Is.EqualTo(new[] { "job.enqueued", "job.started", "job.completed" }));
            Assert.That(completed["job_type"]!.GetValue<string>(), Is.EqualTo("echo"));
            Assert.That(completed["worker_id"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty);
            Assert.That(completed["payload"]!["job"]!["status"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(completed["payload"]!["job"]!["attempts"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(completed.ToJsonString(), Does.Not.Contain("owner"));
        }
    }

    [Test]
    public async Task WorkerHeartbeat_IsStreamedThroughTheGateway()
    {
        await using var socket = await LiveSocket.ConnectAsync(WsUri("types=worker.heartbeat"), o => o.SetRequestHeader("X-API-Key", _sut.ApiKey));

        var frame = await socket.NextOfTypeAsync("worker.heartbeat", Bound);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(frame["worker_id"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty);
            Assert.That(frame["payload"]!["status"]!.GetValue<string>(), Is.EqualTo("active"));
            Assert.That(frame["payload"]!["concurrency"]!.GetValue<int>(), Is.EqualTo(8));
        }
    }

    [Test]
    public async Task Connect_WithoutCredentials_IsRefusedWith401_AtTheGateway()
    {
        var status = await LiveSocket.RefusalAsync(WsUri(""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private Uri WsUri(string query) => new UriBuilder(_sut.GatewayUrl) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
}
