using W = JobQueue.EndToEnd.Tests.Shared.OpenApiWorld;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// openapi.yaml is true to the server: every route the gateway serves is in the file with its methods (read from the
/// running code, <see cref="GatewayRouteTable"/>), every operation of the file is served, and real answers of every
/// operation, successes and errors, are what the file's schema for that path, method and status says, with no
/// field the file leaves out (<see cref="OpenApiContract.Check"/>). A new route fails the first test until the file
/// has it, and the third until a call here exercises it.
/// </summary>
[TestFixture]
public sealed class OpenApiTests
{
    /// <summary>
    /// The documented answers no call makes, and why it cannot: the rest of every operation's 2xx, 400, 401, 404
    /// and 409 answers must be called below (<see cref="EveryOperation_IsCalled_ForEachAnswerItCanGive"/>).
    /// </summary>
    private static readonly Dictionary<string, string> NotCalled = new()
    {
        ["get /health 503"] = "needs Postgres or Redis down; the shared system must stay up (FaultTests stop them)",
        ["get /ws 101"] = "a WebSocket upgrade, no body to validate (LiveStreamTests read its frames)",
        ["post /auth/reset-password 200"] = "the reset token is only written to Billing's log",
        ["post /portal/checkout 200"] = "needs Stripe (STRIPE_SECRET_KEY); the Billing.Service tests use a fake Stripe",
        ["post /portal/checkout 400"] = "needs Stripe configured: without it every call is 503 before the body is read",
        ["post /portal/checkout 404"] = "needs Stripe configured: without it every call is 503 before the key is looked up",
        ["post /portal/customer-portal 200"] = "needs Stripe (STRIPE_SECRET_KEY)",
        ["post /portal/customer-portal 400"] = "needs Stripe configured: without it every call is 503",
        ["post /webhooks/stripe 200"] = "needs STRIPE_WEBHOOK_SECRET; the Billing.Service tests sign events",
        ["post /webhooks/stripe 400"] = "needs STRIPE_WEBHOOK_SECRET: without it every call is 503",
    };

    private static readonly OpenApiContract Contract = OpenApiContract.Load();

    private static IReadOnlyList<ServedRoute>? _served;

    private W _world = null!;

    private static IReadOnlyList<ServedRoute> Served => _served ??= GatewayRouteTable.Read();

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _world = new W(SharedSystem.System.CreateClient(apiKey: null), SharedSystem.AdminKey);
        await _world.SetUpAsync();
    }

    [OneTimeTearDown]
    public void TearDown() => _world.Http.Dispose();

    [Test]
    public async Task EveryRouteTheGatewayServes_IsInTheFile_WithItsMethods()
    {
        var documented = Contract.Operations().ToDictionary(o => ServedRoute.ShapeOf(o.Key), o => (Path: o.Key, o.Value));
        var problems = new List<string>();
        foreach (var route in Served)
        {
            var methods = route.Methods.Count > 0 ? route.Methods : await MethodsAnsweredAsync(route.Path);
            if (!documented.TryGetValue(route.Shape, out var entry))
            {
                problems.Add($"{string.Join(",", methods)} {route.Path} ({route.Owner}) is not in openapi.yaml");
                continue;
            }

            problems.AddRange(methods.Where(m => !entry.Value.Contains(m)).Select(m => $"{m} {entry.Path} ({route.Owner}) is not in openapi.yaml"));
        }

        TestContext.Out.WriteLine(string.Join("\n", Served.Select(r => $"{r.Owner,-20} {string.Join(",", r.Methods),-12} {r.Path}")));
        Assert.That(problems, Is.Empty);
    }

    [Test]
    public async Task EveryOperationInTheFile_IsServedByTheGateway()
    {
        var served = new Dictionary<string, HashSet<string>>();
        foreach (var route in Served)
        {
            var methods = route.Methods.Count > 0 ? route.Methods : await MethodsAnsweredAsync(route.Path);
            (served.TryGetValue(route.Shape, out var known) ? known : served[route.Shape] = []).UnionWith(methods);
        }

        var missing = Contract.Operations()
            .SelectMany(o => o.Value.Select(m => (Path: o.Key, Method: m)))
            .Where(o => !served.TryGetValue(ServedRoute.ShapeOf(o.Path), out var methods) || !methods.Contains(o.Method))
            .Select(o => $"{o.Method} {o.Path} is in openapi.yaml but the gateway does not serve it");
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void EveryOperation_IsCalled_ForEachAnswerItCanGive()
    {
        var called = Calls().Select(c => $"{c.Method} {c.Path} {c.Status}").ToHashSet();
        var operations = Contract.Operations();
        var uncalled = operations
            .SelectMany(o => o.Value.SelectMany(m => Contract.Statuses(o.Key, m).Select(s => $"{m} {o.Key} {s}")))
            .Where(answer => answer.Split(' ')[2] is var status && (status.StartsWith('2') || status.StartsWith('1') || status is "400" or "401" or "404" or "409"))
            .Where(answer => !called.Contains(answer) && !NotCalled.ContainsKey(answer));
        var stale = NotCalled.Keys.Where(k => !operations.TryGetValue(k.Split(' ')[1], out var methods) || !methods.Contains(k.Split(' ')[0]));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(uncalled, Is.Empty, "documented answers that no call makes (add a call, or say in NotCalled why none can)");
            Assert.That(stale, Is.Empty, "NotCalled names operations the file no longer has");
            Assert.That(Calls().Where(c => !operations.TryGetValue(c.Path, out var methods) || !methods.Contains(c.Method)), Is.Empty, "calls to operations the file does not have");
        }
    }

    [TestCaseSource(nameof(Calls))]
    public async Task Answer_IsWhatTheFileSays(ApiCall call)
    {
        using var response = await call.Send(_world);
        var body = await response.Content.ReadAsStringAsync();
        var contentType = response.Content.Headers.ContentType?.ToString();
        var seen = OpenApiContract.Describe(call.Method, response.RequestMessage!.RequestUri!.PathAndQuery, (int)response.StatusCode, contentType, body);
        Assert.That((int)response.StatusCode, Is.EqualTo(call.Status), $"{call}\n{seen}");
        var problem = Contract.Check(call.Path, call.Method, (int)response.StatusCode, contentType, body);
        Assert.That(problem, Is.Null, $"{call}: not what openapi.yaml says\n{problem}\n{seen}");
    }

    /// <summary>What a route without method metadata (the gateway's /health, /alive, /metrics) answers: every method not refused with 405.</summary>
    private static async Task<IReadOnlySet<string>> MethodsAnsweredAsync(string path)
    {
        var methods = new HashSet<string>();
        foreach (var method in OpenApiContract.Methods)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            using var response = await SharedSystem.System.Client.SendAsync(request);
            if ((int)response.StatusCode != 405)
            {
                methods.Add(method);
            }
        }

        return methods;
    }

    private static ApiCall Call(string method, string path, int status, string why, Func<W, Task<HttpResponseMessage>> send) => new(method, path, status, why, send);

    private const string Malformed = "{\"type\":";

    /// <summary>The answers of a remote worker's report on a leased job (heartbeat, complete, fail) with <paramref name="body"/> for a lease token.</summary>
    private static IEnumerable<ApiCall> LeaseReportCalls(string report, Func<string, object> body)
    {
        var path = $"/api/v1/jobs/{{id}}/{report}";
        return
        [
            Call("post", path, 200, "the lease's token", async w =>
            {
                var (job, token) = await w.LeasedJobAsync();
                return await w.SendAsync("POST", $"/api/v1/jobs/{job}/{report}", Caller.TenantKey, body(token));
            }),
            Call("post", path, 400, "not a UUID", w => w.SendAsync("POST", $"/api/v1/jobs/not-a-uuid/{report}", Caller.TenantKey, body(Guid.NewGuid().ToString()))),
            Call("post", path, 401, "wrong key", w => w.SendAsync("POST", $"/api/v1/jobs/{W.Unknown}/{report}", Caller.WrongKey, body(Guid.NewGuid().ToString()))),
            Call("post", path, 404, "unknown", w => w.SendAsync("POST", $"/api/v1/jobs/{W.Unknown}/{report}", Caller.TenantKey, body(Guid.NewGuid().ToString()))),
            Call("post", path, 409, "another token", async w =>
            {
                var (job, _) = await w.LeasedJobAsync();
                return await w.SendAsync("POST", $"/api/v1/jobs/{job}/{report}", Caller.TenantKey, body(Guid.NewGuid().ToString()));
            }),
            Call("post", path, 415, "not JSON", w => w.SendAsync("POST", $"/api/v1/jobs/{W.Unknown}/{report}", Caller.TenantKey, "lease_token=x", "text/plain")),
            Call("post", path, 422, "no lease token", w => w.SendAsync("POST", $"/api/v1/jobs/{W.Unknown}/{report}", Caller.TenantKey, new { })),
        ];
    }

    public static IEnumerable<ApiCall> Calls() =>
    [
        Call("get", "/health", 200, "every dependency up", w => w.SendAsync("GET", "/health", Caller.Nobody)),
        Call("get", "/alive", 200, "the gateway answers", w => w.SendAsync("GET", "/alive", Caller.Nobody)),
        Call("get", "/metrics", 200, "Prometheus text", w => w.SendAsync("GET", "/metrics", Caller.Nobody)),

        Call("post", "/api/v1/jobs", 201, "enqueued", w => w.SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, new { type = "noop", tags = new { team = "a" } })),
        Call("post", "/api/v1/jobs", 400, "malformed JSON", w => w.SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, Malformed)),
        Call("post", "/api/v1/jobs", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/jobs", Caller.WrongKey, new { type = "noop" })),
        Call("post", "/api/v1/jobs", 413, "body over the limit", w => w.SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, $"{{\"type\":\"noop\",\"payload\":{{\"x\":\"{new string('x', 1_100_000)}\"}}}}", closeConnection: true)),
        Call("post", "/api/v1/jobs", 415, "not JSON", w => w.SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, "type=noop", "text/plain")),
        Call("post", "/api/v1/jobs", 422, "priority out of range", w => w.SendAsync("POST", "/api/v1/jobs", Caller.TenantKey, new { type = "noop", priority = 42 })),
        Call("get", "/api/v1/jobs", 200, "a page", w => w.SendAsync("GET", "/api/v1/jobs?limit=5", Caller.TenantKey)),
        Call("get", "/api/v1/jobs", 400, "bad limit", w => w.SendAsync("GET", "/api/v1/jobs?limit=abc", Caller.TenantKey)),
        Call("get", "/api/v1/jobs", 401, "no key", w => w.SendAsync("GET", "/api/v1/jobs", Caller.Nobody)),
        Call("delete", "/api/v1/jobs", 200, "purge", w => w.SendAsync("DELETE", "/api/v1/jobs?before=2000-01-01T00:00:00Z", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs", 400, "no before", w => w.SendAsync("DELETE", "/api/v1/jobs", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs", 401, "wrong key", w => w.SendAsync("DELETE", "/api/v1/jobs?before=2000-01-01T00:00:00Z", Caller.WrongKey)),

        Call("post", "/api/v1/jobs/batch", 201, "two jobs", w => w.SendAsync("POST", "/api/v1/jobs/batch", Caller.TenantKey, new object[] { new { type = "noop" }, new { type = "noop", queue_name = "bulk" } })),
        Call("post", "/api/v1/jobs/batch", 400, "not an array", w => w.SendAsync("POST", "/api/v1/jobs/batch", Caller.TenantKey, new { type = "noop" })),
        Call("post", "/api/v1/jobs/batch", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/jobs/batch", Caller.WrongKey, new object[] { new { type = "noop" } })),
        Call("post", "/api/v1/jobs/batch", 422, "an invalid item", w => w.SendAsync("POST", "/api/v1/jobs/batch", Caller.TenantKey, new object[] { new { type = "noop" }, new { type = "noop", priority = 0 } })),

        Call("get", "/api/v1/jobs/cursor", 200, "a page", w => w.SendAsync("GET", "/api/v1/jobs/cursor?limit=2", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/cursor", 400, "bad cursor", w => w.SendAsync("GET", "/api/v1/jobs/cursor?cursor=zzz", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/cursor", 401, "no key", w => w.SendAsync("GET", "/api/v1/jobs/cursor", Caller.Nobody)),

        Call("get", "/api/v1/jobs/{id}", 200, "a completed job", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}", 400, "not a UUID", w => w.SendAsync("GET", "/api/v1/jobs/not-a-uuid", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}", 401, "no key", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}", Caller.Nobody)),
        Call("get", "/api/v1/jobs/{id}", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/jobs/{W.Unknown}", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs/{id}", 200, "a waiting job", async w => await w.SendAsync("DELETE", $"/api/v1/jobs/{await w.EnqueueAsync(new { type = "noop", scheduled_at = DateTime.UtcNow.AddHours(1).ToString("O") })}", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs/{id}", 202, "a running job", async w => await w.SendAsync("DELETE", $"/api/v1/jobs/{await w.RunningJobAsync()}", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs/{id}", 400, "not a UUID", w => w.SendAsync("DELETE", "/api/v1/jobs/not-a-uuid", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs/{id}", 401, "wrong key", w => w.SendAsync("DELETE", $"/api/v1/jobs/{w.DelayedJob}", Caller.WrongKey)),
        Call("delete", "/api/v1/jobs/{id}", 404, "unknown", w => w.SendAsync("DELETE", $"/api/v1/jobs/{W.Unknown}", Caller.TenantKey)),
        Call("delete", "/api/v1/jobs/{id}", 409, "already ended", w => w.SendAsync("DELETE", $"/api/v1/jobs/{w.CompletedJob}", Caller.TenantKey)),

        Call("get", "/api/v1/jobs/{id}/attempts", 200, "one attempt", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}/attempts", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}/attempts", 400, "not a UUID", w => w.SendAsync("GET", "/api/v1/jobs/not-a-uuid/attempts", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}/attempts", 401, "no key", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}/attempts", Caller.Nobody)),
        Call("get", "/api/v1/jobs/{id}/attempts", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/jobs/{W.Unknown}/attempts", Caller.TenantKey)),

        Call("get", "/api/v1/jobs/{id}/result", 200, "an echo job's result", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}/result", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}/result", 204, "no result yet", w => w.SendAsync("GET", $"/api/v1/jobs/{w.DelayedJob}/result", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}/result", 400, "not a UUID", w => w.SendAsync("GET", "/api/v1/jobs/not-a-uuid/result", Caller.TenantKey)),
        Call("get", "/api/v1/jobs/{id}/result", 401, "no key", w => w.SendAsync("GET", $"/api/v1/jobs/{w.CompletedJob}/result", Caller.Nobody)),
        Call("get", "/api/v1/jobs/{id}/result", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/jobs/{W.Unknown}/result", Caller.TenantKey)),

        Call("post", "/api/v1/jobs/{id}/retry", 200, "a dead job", async w => await w.SendAsync("POST", $"/api/v1/jobs/{await w.DeadJobAsync()}/retry", Caller.TenantKey)),
        Call("post", "/api/v1/jobs/{id}/retry", 400, "not a UUID", w => w.SendAsync("POST", "/api/v1/jobs/not-a-uuid/retry", Caller.TenantKey)),
        Call("post", "/api/v1/jobs/{id}/retry", 401, "wrong key", w => w.SendAsync("POST", $"/api/v1/jobs/{w.CompletedJob}/retry", Caller.WrongKey)),
        Call("post", "/api/v1/jobs/{id}/retry", 404, "unknown", w => w.SendAsync("POST", $"/api/v1/jobs/{W.Unknown}/retry", Caller.TenantKey)),
        Call("post", "/api/v1/jobs/{id}/retry", 409, "a completed job", w => w.SendAsync("POST", $"/api/v1/jobs/{w.CompletedJob}/retry", Caller.TenantKey)),

        Call("get", "/api/v1/stats", 200, "the tenant's counts", w => w.SendAsync("GET", "/api/v1/stats", Caller.TenantKey)),
        Call("get", "/api/v1/stats", 401, "no key", w => w.SendAsync("GET", "/api/v1/stats", Caller.Nobody)),
        Call("get", "/api/v1/workers", 200, "the workers", w => w.SendAsync("GET", "/api/v1/workers?active_only=false", Caller.TenantKey)),
        Call("get", "/api/v1/workers", 401, "no key", w => w.SendAsync("GET", "/api/v1/workers", Caller.Nobody)),

        Call("post", "/api/v1/workers/lease", 200, "a job of the worker's type", async w =>
        {
            var type = W.RemoteType();
            await w.EnqueueAsync(new { type, payload = new { to = "ada@example.com" } });
            return await w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, new { worker_id = W.RemoteWorker(), host = "openapi", types = new[] { type } });
        }),
        Call("post", "/api/v1/workers/lease", 400, "malformed JSON", w => w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, Malformed)),
        Call("post", "/api/v1/workers/lease", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/workers/lease", Caller.WrongKey, new { worker_id = W.RemoteWorker(), types = new[] { W.RemoteType() } })),
        Call("post", "/api/v1/workers/lease", 409, "another tenant's live worker id", async w =>
        {
            var (_, otherKey, _) = await w.RegisterAsync();
            var lease = new { worker_id = W.RemoteWorker(), types = new[] { W.RemoteType() } };
            (await w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, lease, asKey: otherKey)).Dispose();
            return await w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, lease);
        }),
        Call("post", "/api/v1/workers/lease", 415, "not JSON", w => w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, "worker_id=w", "text/plain")),
        Call("post", "/api/v1/workers/lease", 422, "a built-in type", w => w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, new { worker_id = W.RemoteWorker(), types = new[] { "echo" } })),
        Call("delete", "/api/v1/workers/{id}", 204, "a remote worker of the tenant", async w =>
        {
            var worker = W.RemoteWorker();
            (await w.SendAsync("POST", "/api/v1/workers/lease", Caller.TenantKey, new { worker_id = worker, types = new[] { W.RemoteType() } })).Dispose();
            return await w.SendAsync("DELETE", $"/api/v1/workers/{worker}", Caller.TenantKey);
        }),
        Call("delete", "/api/v1/workers/{id}", 401, "wrong key", w => w.SendAsync("DELETE", $"/api/v1/workers/{W.RemoteWorker()}", Caller.WrongKey)),
        Call("delete", "/api/v1/workers/{id}", 404, "unknown", w => w.SendAsync("DELETE", $"/api/v1/workers/{W.RemoteWorker()}", Caller.TenantKey)),
        .. LeaseReportCalls("heartbeat", token => new { lease_token = token, progress = new { pct = 50 }, lease_seconds = 60 }),
        .. LeaseReportCalls("complete", token => new { lease_token = token, result = new { sent = true } }),
        .. LeaseReportCalls("fail", token => new { lease_token = token, error = "the mail server said 451" }),

        Call("get", "/api/v1/dlq", 200, "a dead job's entry", async w => { await w.DeadJobAsync(); return await w.SendAsync("GET", "/api/v1/dlq?include_requeued=true", Caller.TenantKey); }),
        Call("get", "/api/v1/dlq", 400, "bad limit", w => w.SendAsync("GET", "/api/v1/dlq?limit=abc", Caller.TenantKey)),
        Call("get", "/api/v1/dlq", 401, "no key", w => w.SendAsync("GET", "/api/v1/dlq", Caller.Nobody)),
        Call("post", "/api/v1/dlq/{id}/requeue", 201, "requeued", async w => await w.SendAsync("POST", $"/api/v1/dlq/{await w.DlqEntryAsync()}/requeue", Caller.TenantKey)),
        Call("post", "/api/v1/dlq/{id}/requeue", 400, "not a UUID", w => w.SendAsync("POST", "/api/v1/dlq/not-a-uuid/requeue", Caller.TenantKey)),
        Call("post", "/api/v1/dlq/{id}/requeue", 401, "wrong key", w => w.SendAsync("POST", $"/api/v1/dlq/{W.Unknown}/requeue", Caller.WrongKey)),
        Call("post", "/api/v1/dlq/{id}/requeue", 404, "unknown", w => w.SendAsync("POST", $"/api/v1/dlq/{W.Unknown}/requeue", Caller.TenantKey)),
        Call("post", "/api/v1/dlq/{id}/requeue", 409, "already requeued", async w =>
        {
            var entry = await w.DlqEntryAsync();
            (await w.SendAsync("POST", $"/api/v1/dlq/{entry}/requeue", Caller.TenantKey)).Dispose();
            return await w.SendAsync("POST", $"/api/v1/dlq/{entry}/requeue", Caller.TenantKey);
        }),

        Call("get", "/ws", 400, "not a WebSocket request", w => w.SendAsync("GET", "/ws", Caller.TenantKey)),
        Call("get", "/ws", 401, "no credentials", w => w.SendAsync("GET", "/ws", Caller.Nobody)),

        Call("post", "/auth/register", 201, "a new account", w => w.SendAsync("POST", "/auth/register", Caller.Nobody, new { email = $"openapi-{Guid.NewGuid():N}@example.com", password = W.Password })),
        Call("post", "/auth/register", 400, "unknown field", w => w.SendAsync("POST", "/auth/register", Caller.Nobody, new { email = $"openapi-{Guid.NewGuid():N}@example.com", password = W.Password, name = "x" })),
        Call("post", "/auth/register", 409, "the email exists", w => w.SendAsync("POST", "/auth/register", Caller.Nobody, new { email = w.Email.ToUpperInvariant(), password = W.Password })),
        Call("post", "/auth/register", 415, "not JSON", w => w.SendAsync("POST", "/auth/register", Caller.Nobody, "email=x", "application/x-www-form-urlencoded")),
        Call("post", "/auth/register", 422, "short password", w => w.SendAsync("POST", "/auth/register", Caller.Nobody, new { email = $"openapi-{Guid.NewGuid():N}@example.com", password = "short" })),
        Call("post", "/auth/login", 200, "right password", w => w.SendAsync("POST", "/auth/login", Caller.Nobody, new { email = w.Email, password = W.Password })),
        Call("post", "/auth/login", 400, "malformed JSON", w => w.SendAsync("POST", "/auth/login", Caller.Nobody, Malformed)),
        Call("post", "/auth/login", 401, "wrong password", w => w.SendAsync("POST", "/auth/login", Caller.Nobody, new { email = w.Email, password = "not the password" })),
        Call("post", "/auth/forgot-password", 200, "the same answer for any email", w => w.SendAsync("POST", "/auth/forgot-password", Caller.Nobody, new { email = w.Email })),
        Call("post", "/auth/forgot-password", 400, "unknown field", w => w.SendAsync("POST", "/auth/forgot-password", Caller.Nobody, new { email = w.Email, x = 1 })),
        Call("post", "/auth/forgot-password", 422, "not an email", w => w.SendAsync("POST", "/auth/forgot-password", Caller.Nobody, new { email = "nobody" })),
        Call("post", "/auth/reset-password", 400, "unknown token", w => w.SendAsync("POST", "/auth/reset-password", Caller.Nobody, new { token = "not-a-token", password = "a new password" })),
        Call("post", "/auth/reset-password", 422, "short password", w => w.SendAsync("POST", "/auth/reset-password", Caller.Nobody, new { token = "not-a-token", password = "short" })),

        Call("get", "/api/v1/keys", 200, "the account's keys", w => w.SendAsync("GET", "/api/v1/keys", Caller.TenantToken)),
        Call("get", "/api/v1/keys", 401, "no key", w => w.SendAsync("GET", "/api/v1/keys", Caller.Nobody)),
        Call("get", "/api/v1/keys", 403, "the admin key is no account", w => w.SendAsync("GET", "/api/v1/keys", Caller.Admin)),
        Call("post", "/api/v1/keys", 201, "a named key", w => w.SendAsync("POST", "/api/v1/keys", Caller.TenantKey, new { name = "ci" })),
        Call("post", "/api/v1/keys", 400, "malformed JSON", w => w.SendAsync("POST", "/api/v1/keys", Caller.TenantKey, Malformed)),
        Call("post", "/api/v1/keys", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/keys", Caller.WrongKey, new { name = "ci" })),
        Call("post", "/api/v1/keys", 403, "the admin key is no account", w => w.SendAsync("POST", "/api/v1/keys", Caller.Admin, new { name = "ci" })),
        Call("post", "/api/v1/keys", 422, "empty name", w => w.SendAsync("POST", "/api/v1/keys", Caller.TenantKey, new { name = "" })),
        Call("delete", "/api/v1/keys/{id}", 200, "a second key", async w => await w.SendAsync("DELETE", $"/api/v1/keys/{await w.SecondKeyAsync()}", Caller.TenantKey)),
        Call("delete", "/api/v1/keys/{id}", 400, "not a UUID", w => w.SendAsync("DELETE", "/api/v1/keys/not-a-uuid", Caller.TenantKey)),
        Call("delete", "/api/v1/keys/{id}", 401, "wrong key", w => w.SendAsync("DELETE", $"/api/v1/keys/{W.Unknown}", Caller.WrongKey)),
        Call("delete", "/api/v1/keys/{id}", 404, "unknown", w => w.SendAsync("DELETE", $"/api/v1/keys/{W.Unknown}", Caller.TenantKey)),
        Call("get", "/api/v1/usage", 200, "this month", w => w.SendAsync("GET", "/api/v1/usage", Caller.TenantKey)),
        Call("get", "/api/v1/usage", 401, "no key", w => w.SendAsync("GET", "/api/v1/usage", Caller.Nobody)),
        Call("get", "/api/v1/usage", 403, "the admin key is no account", w => w.SendAsync("GET", "/api/v1/usage", Caller.Admin)),

        Call("get", "/portal/usage", 200, "a login token", w => w.SendAsync("GET", "/portal/usage", Caller.TenantToken)),
        Call("get", "/portal/usage", 401, "an API key is not a login token", w => w.SendAsync("GET", "/portal/usage", Caller.TenantKey)),
        Call("post", "/portal/regenerate-key", 200, "a new primary key", async w =>
        {
            var (_, _, token) = await w.RegisterAsync(); // its own account: the tenant's key must keep working
            return await w.SendAsync("POST", "/portal/regenerate-key", Caller.TenantToken, asKey: token);
        }),
        Call("post", "/portal/regenerate-key", 401, "an API key is not a login token", w => w.SendAsync("POST", "/portal/regenerate-key", Caller.TenantKey)),
        Call("post", "/portal/checkout", 401, "no credentials", w => w.SendAsync("POST", "/portal/checkout", Caller.Nobody, new { tier = "pro" })),
        Call("post", "/portal/checkout", 503, "Stripe is not configured", w => w.SendAsync("POST", "/portal/checkout", Caller.TenantToken, new { tier = "pro" })),
        Call("post", "/portal/customer-portal", 401, "no credentials", w => w.SendAsync("POST", "/portal/customer-portal", Caller.Nobody)),
        Call("post", "/portal/customer-portal", 503, "Stripe is not configured", w => w.SendAsync("POST", "/portal/customer-portal", Caller.TenantToken)),
        Call("post", "/webhooks/stripe", 503, "no signing secret configured", w => w.SendAsync("POST", "/webhooks/stripe", Caller.Nobody, new { id = "evt_1" })),

        Call("get", "/api/v1/webhooks", 200, "the tenant's webhooks", async w => { await w.WebhookAsync(); return await w.SendAsync("GET", "/api/v1/webhooks", Caller.TenantKey); }),
        Call("get", "/api/v1/webhooks", 401, "no key", w => w.SendAsync("GET", "/api/v1/webhooks", Caller.Nobody)),
        Call("post", "/api/v1/webhooks", 201, "a generated secret", w => w.SendAsync("POST", "/api/v1/webhooks", Caller.TenantKey, new { url = "https://hooks.example.com/a", enabled = false })),
        Call("post", "/api/v1/webhooks", 400, "unknown field", w => w.SendAsync("POST", "/api/v1/webhooks", Caller.TenantKey, new { url = "https://hooks.example.com/a", x = 1 })),
        Call("post", "/api/v1/webhooks", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/webhooks", Caller.WrongKey, new { url = "https://hooks.example.com/a" })),
        Call("post", "/api/v1/webhooks", 415, "not JSON", w => w.SendAsync("POST", "/api/v1/webhooks", Caller.TenantKey, "url=x", "text/plain")),
        // A private-network address: the AppHost lets Development reach loopback (WEBHOOK_ALLOW_PRIVATE_ADDRESSES=loopback), never the private network.
        Call("post", "/api/v1/webhooks", 422, "a private-network address", w => w.SendAsync("POST", "/api/v1/webhooks", Caller.TenantKey, new { url = "http://10.0.0.1:9/hook" })),
        Call("get", "/api/v1/webhooks/{id}", 200, "one webhook", async w => await w.SendAsync("GET", $"/api/v1/webhooks/{await w.WebhookAsync()}", Caller.TenantKey)),
        Call("get", "/api/v1/webhooks/{id}", 400, "not a UUID", w => w.SendAsync("GET", "/api/v1/webhooks/not-a-uuid", Caller.TenantKey)),
        Call("get", "/api/v1/webhooks/{id}", 401, "no key", w => w.SendAsync("GET", $"/api/v1/webhooks/{W.Unknown}", Caller.Nobody)),
        Call("get", "/api/v1/webhooks/{id}", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/webhooks/{W.Unknown}", Caller.TenantKey)),
        Call("patch", "/api/v1/webhooks/{id}", 200, "a new description", async w => await w.SendAsync("PATCH", $"/api/v1/webhooks/{await w.WebhookAsync()}", Caller.TenantKey, new { description = "ops" })),
        Call("patch", "/api/v1/webhooks/{id}", 400, "unknown field", async w => await w.SendAsync("PATCH", $"/api/v1/webhooks/{await w.WebhookAsync()}", Caller.TenantKey, new { x = 1 })),
        Call("patch", "/api/v1/webhooks/{id}", 401, "wrong key", w => w.SendAsync("PATCH", $"/api/v1/webhooks/{W.Unknown}", Caller.WrongKey, new { description = "ops" })),
        Call("patch", "/api/v1/webhooks/{id}", 404, "unknown", w => w.SendAsync("PATCH", $"/api/v1/webhooks/{W.Unknown}", Caller.TenantKey, new { description = "ops" })),
        Call("patch", "/api/v1/webhooks/{id}", 422, "unknown event", async w => await w.SendAsync("PATCH", $"/api/v1/webhooks/{await w.WebhookAsync()}", Caller.TenantKey, new { events = new[] { "job.exploded" } })),
        Call("delete", "/api/v1/webhooks/{id}", 200, "deleted", async w => await w.SendAsync("DELETE", $"/api/v1/webhooks/{await w.WebhookAsync()}", Caller.TenantKey)),
        Call("delete", "/api/v1/webhooks/{id}", 400, "not a UUID", w => w.SendAsync("DELETE", "/api/v1/webhooks/not-a-uuid", Caller.TenantKey)),
        Call("delete", "/api/v1/webhooks/{id}", 401, "wrong key", w => w.SendAsync("DELETE", $"/api/v1/webhooks/{W.Unknown}", Caller.WrongKey)),
        Call("delete", "/api/v1/webhooks/{id}", 404, "unknown", w => w.SendAsync("DELETE", $"/api/v1/webhooks/{W.Unknown}", Caller.TenantKey)),
        Call("get", "/api/v1/webhooks/{id}/deliveries", 200, "a queued test delivery", async w =>
        {
            var id = await w.WebhookAsync();
            (await w.SendAsync("POST", $"/api/v1/webhooks/{id}/test", Caller.TenantKey)).Dispose();
            return await w.SendAsync("GET", $"/api/v1/webhooks/{id}/deliveries", Caller.TenantKey);
        }),
        Call("get", "/api/v1/webhooks/{id}/deliveries", 400, "bad limit", async w => await w.SendAsync("GET", $"/api/v1/webhooks/{await w.WebhookAsync()}/deliveries?limit=abc", Caller.TenantKey)),
        Call("get", "/api/v1/webhooks/{id}/deliveries", 401, "no key", w => w.SendAsync("GET", $"/api/v1/webhooks/{W.Unknown}/deliveries", Caller.Nobody)),
        Call("get", "/api/v1/webhooks/{id}/deliveries", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/webhooks/{W.Unknown}/deliveries", Caller.TenantKey)),
        Call("post", "/api/v1/webhooks/{id}/test", 202, "queued", async w => await w.SendAsync("POST", $"/api/v1/webhooks/{await w.WebhookAsync()}/test", Caller.TenantKey)),
        Call("post", "/api/v1/webhooks/{id}/test", 400, "not a UUID", w => w.SendAsync("POST", "/api/v1/webhooks/not-a-uuid/test", Caller.TenantKey)),
        Call("post", "/api/v1/webhooks/{id}/test", 401, "wrong key", w => w.SendAsync("POST", $"/api/v1/webhooks/{W.Unknown}/test", Caller.WrongKey)),
        Call("post", "/api/v1/webhooks/{id}/test", 404, "unknown", w => w.SendAsync("POST", $"/api/v1/webhooks/{W.Unknown}/test", Caller.TenantKey)),

        Call("get", "/api/v1/cron", 200, "the tenant's schedules", async w => { await w.CronAsync(); return await w.SendAsync("GET", "/api/v1/cron", Caller.TenantKey); }),
        Call("get", "/api/v1/cron", 401, "no key", w => w.SendAsync("GET", "/api/v1/cron", Caller.Nobody)),
        Call("post", "/api/v1/cron", 201, "created", w => w.SendAsync("POST", "/api/v1/cron", Caller.TenantKey, new { name = $"c-{Guid.NewGuid():N}", job_type = "noop", cron_expression = "*/5 * * * *", timezone = "Europe/Paris", enabled = false })),
        Call("post", "/api/v1/cron", 400, "malformed JSON", w => w.SendAsync("POST", "/api/v1/cron", Caller.TenantKey, Malformed)),
        Call("post", "/api/v1/cron", 401, "wrong key", w => w.SendAsync("POST", "/api/v1/cron", Caller.WrongKey, new { name = "x", job_type = "noop", cron_expression = "* * * * *" })),
        Call("post", "/api/v1/cron", 409, "the name is taken", async w =>
        {
            var name = $"c-{Guid.NewGuid():N}";
            await w.CronAsync(name);
            return await w.SendAsync("POST", "/api/v1/cron", Caller.TenantKey, new { name, job_type = "noop", cron_expression = "0 3 * * *" });
        }),
        Call("post", "/api/v1/cron", 415, "not JSON", w => w.SendAsync("POST", "/api/v1/cron", Caller.TenantKey, "name=x", "text/plain")),
        Call("post", "/api/v1/cron", 422, "a bad expression", w => w.SendAsync("POST", "/api/v1/cron", Caller.TenantKey, new { name = $"c-{Guid.NewGuid():N}", job_type = "noop", cron_expression = "61 * * * *" })),
        Call("get", "/api/v1/cron/{id}", 200, "one schedule", async w => await w.SendAsync("GET", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey)),
        Call("get", "/api/v1/cron/{id}", 400, "not a UUID", w => w.SendAsync("GET", "/api/v1/cron/not-a-uuid", Caller.TenantKey)),
        Call("get", "/api/v1/cron/{id}", 401, "no key", w => w.SendAsync("GET", $"/api/v1/cron/{W.Unknown}", Caller.Nobody)),
        Call("get", "/api/v1/cron/{id}", 404, "unknown", w => w.SendAsync("GET", $"/api/v1/cron/{W.Unknown}", Caller.TenantKey)),
        Call("patch", "/api/v1/cron/{id}", 200, "paused", async w => await w.SendAsync("PATCH", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey, new { enabled = false, priority = 7 })),
        Call("patch", "/api/v1/cron/{id}", 400, "unknown field", async w => await w.SendAsync("PATCH", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey, new { x = 1 })),
        Call("patch", "/api/v1/cron/{id}", 401, "wrong key", w => w.SendAsync("PATCH", $"/api/v1/cron/{W.Unknown}", Caller.WrongKey, new { enabled = false })),
        Call("patch", "/api/v1/cron/{id}", 404, "unknown", w => w.SendAsync("PATCH", $"/api/v1/cron/{W.Unknown}", Caller.TenantKey, new { enabled = false })),
        Call("patch", "/api/v1/cron/{id}", 409, "another schedule's name", async w =>
        {
            var name = $"c-{Guid.NewGuid():N}";
            await w.CronAsync(name);
            return await w.SendAsync("PATCH", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey, new { name });
        }),
        Call("patch", "/api/v1/cron/{id}", 422, "nothing to change", async w => await w.SendAsync("PATCH", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey, new { })),
        Call("delete", "/api/v1/cron/{id}", 200, "deleted", async w => await w.SendAsync("DELETE", $"/api/v1/cron/{await w.CronAsync()}", Caller.TenantKey)),
        Call("delete", "/api/v1/cron/{id}", 400, "not a UUID", w => w.SendAsync("DELETE", "/api/v1/cron/not-a-uuid", Caller.TenantKey)),
        Call("delete", "/api/v1/cron/{id}", 401, "wrong key", w => w.SendAsync("DELETE", $"/api/v1/cron/{W.Unknown}", Caller.WrongKey)),
        Call("delete", "/api/v1/cron/{id}", 404, "unknown", w => w.SendAsync("DELETE", $"/api/v1/cron/{W.Unknown}", Caller.TenantKey)),
    ];
}
