using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>Who a request is sent as.</summary>
public enum Caller
{
    Nobody,
    WrongKey,
    TenantKey,
    TenantToken,
    Admin,
}

/// <summary>
/// One real request to one operation of openapi.yaml (<see cref="Path"/> as the file writes it) and the status it
/// must get. <see cref="Send"/> makes what the request needs first (a job in some state, a webhook, a second key) and
/// sends it; the answer is then checked against the file.
/// </summary>
public sealed record ApiCall(string Method, string Path, int Status, string Why, Func<OpenApiWorld, Task<HttpResponseMessage>> Send)
{
    public override string ToString() => $"{Method.ToUpperInvariant()} {Path} {Status} {Why}";
}

/// <summary>
/// What the calls share: the gateway, the operator key, and one tenant of their own (registered here, so nothing of
/// another fixture's shows), with a few jobs in known states made once.
/// </summary>
public sealed class OpenApiWorld(HttpClient http, string adminKey)
{
    public const string Password = "correct horse battery staple";

    public HttpClient Http { get; } = http;

    public string Email { get; private set; } = "";

    public string Key { get; private set; } = "";

    public string Token { get; private set; } = "";

    /// <summary>An echo job that completed, with its result.</summary>
    public Guid CompletedJob { get; private set; }

    /// <summary>A job due in an hour: waiting, no result.</summary>
    public Guid DelayedJob { get; private set; }

    public static Guid Unknown { get; } = Guid.Parse("00000000-0000-4000-8000-000000000000");

    public async Task SetUpAsync()
    {
        (Email, Key, Token) = await RegisterAsync();
        CompletedJob = await EnqueueAsync(new { type = "echo", payload = new { hello = "world" } });
        DelayedJob = await EnqueueAsync(new { type = "noop", scheduled_at = DateTime.UtcNow.AddHours(1).ToString("O") });
        await WaitForStatusAsync(CompletedJob, "completed");
    }

    public async Task<(string Email, string Key, string Token)> RegisterAsync()
    {
        var email = $"openapi-{Guid.NewGuid():N}@example.com";
        var data = await DataAsync(await SendAsync("POST", "/auth/register", Caller.Nobody, new { email, password = Password }), HttpStatusCode.Created);
        return (email, data.GetProperty("api_key").GetProperty("key").GetString()!, data.GetProperty("token").GetString()!);
    }

    public async Task<Guid> EnqueueAsync(object request) =>
        (await DataAsync(await SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, request), HttpStatusCode.Created)).GetProperty("id").GetGuid();

    /// <summary>A job of the tenant that ran out of attempts (one attempt of <c>fail</c>): dead, with a DLQ entry.</summary>
    public async Task<Guid> DeadJobAsync()
    {
        var id = await EnqueueAsync(new { type = "fail", max_attempts = 1 });
        await WaitForStatusAsync(id, "dead");
        return id;
    }

    /// <summary>The DLQ entry of a dead job of the tenant.</summary>
    public async Task<Guid> DlqEntryAsync()
    {
        var job = await DeadJobAsync();
        var entries = await DataAsync(await SendAsync("GET", "/api/v1/dlq?limit=100", Caller.TenantKey), HttpStatusCode.OK);
        return entries.EnumerateArray().Single(e => e.GetProperty("job_id").GetGuid() == job).GetProperty("id").GetGuid();
    }

    /// <summary>A job that is running now (a 20 s sleep).</summary>
    public async Task<Guid> RunningJobAsync()
    {
        var id = await EnqueueAsync(new { type = "sleep", payload = new { ms = 20_000 }, priority = 10, queue_name = "critical" });
        await WaitForStatusAsync(id, "running");
        return id;
    }

    /// <summary>A webhook of the tenant, disabled so that nothing is ever delivered (its address is not on this machine).</summary>
    public async Task<Guid> WebhookAsync() =>
        (await DataAsync(
            await SendAsync("POST", "/api/v1/webhooks", Caller.TenantKey, new { url = "https://hooks.example.com/jobqueue", events = new[] { "job.completed" }, enabled = false }),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();

    public async Task<Guid> CronAsync(string? name = null) =>
        (await DataAsync(
            await SendAsync("POST", "/api/v1/cron", Caller.TenantKey, new { name = name ?? $"nightly-{Guid.NewGuid():N}", job_type = "noop", cron_expression = "0 3 * * *", enabled = false }),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();

    /// <summary>
    /// A job type of its own for one call, that no built-in worker serves: only the lease of that call sees its job,
    /// whatever an earlier call's lease left running or expiring.
    /// </summary>
    public static string RemoteType() => $"openapi.remote.{Guid.NewGuid():N}";

    /// <summary>A remote worker id of its own for one call: the tenant's once it leases.</summary>
    public static string RemoteWorker() => $"openapi-{Guid.NewGuid():N}";

    /// <summary>A job the tenant's remote worker leased (running): its id and lease token.</summary>
    public async Task<(Guid Job, string Token)> LeasedJobAsync()
    {
        var type = RemoteType();
        var id = await EnqueueAsync(new { type });
        var leased = await DataAsync(await SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, new { worker_id = RemoteWorker(), types = new[] { type } }), HttpStatusCode.OK);
        return (id, leased.EnumerateArray().Single(j => j.GetProperty("id").GetGuid() == id).GetProperty("lease_token").GetString()!);
    }

    public async Task<Guid> SecondKeyAsync() =>
        (await DataAsync(await SendAsync("POST", "/api/v1/keys", Caller.TenantKey, new { name = "second" }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

    public async Task WaitForStatusAsync(Guid id, string status)
    {
        var last = "";
        try
        {
            await JobQueue.Testing.Polling.WaitUntil(async () =>
            {
                using var response = await SendAsync("GET", $"/api/v1/jobs/{id}", Caller.TenantKey);
                last = await response.Content.ReadAsStringAsync();
                return JsonDocument.Parse(last).RootElement.GetProperty("data").GetProperty("status").GetString() == status;
            }, TimeSpan.FromSeconds(30), $"job {id} is {status}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last seen: {last}", e);
        }
    }

    /// <summary>
    /// Sends a request as <paramref name="caller"/>; <paramref name="body"/> is serialized to JSON unless it is already a string.
    /// <paramref name="closeConnection"/> for a request the server refuses before reading its body (413): the server
    /// then closes the connection, and the client must not reuse it for the next call (which would end prematurely).
    /// Such a request also asks <c>Expect: 100-continue</c>, so the body is not sent into a connection the server has
    /// already closed: without it the refusal sometimes arrived as a broken pipe instead of the 413.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(string method, string url, Caller caller, object? body = null, string contentType = "application/json", string? asKey = null, bool closeConnection = false)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (closeConnection)
        {
            request.Headers.ConnectionClose = true;
            request.Headers.ExpectContinue = true;
        }

        switch (caller)
        {
            case Caller.WrongKey:
                request.Headers.Add("X-API-Key", "qly_00000000000000000000000000000000");
                break;
            case Caller.TenantKey:
                request.Headers.Add("X-API-Key", asKey ?? Key);
                break;
            case Caller.TenantToken:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", asKey ?? Token);
                break;
            case Caller.Admin:
                request.Headers.Add("X-API-Key", adminKey);
                break;
        }

        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return Http.SendAsync(request);
    }

    private static async Task<JsonElement> DataAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(expected), $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {text}");
            return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
        }
    }
}
