using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace JobQueue.EndToEnd.Tests.Fuzzing;

/// <summary>What a fuzz request may get back, beyond "no 5xx and every error in the envelope".</summary>
internal enum FuzzExpectation
{
    /// <summary>Hostile input that must be refused with a 4xx and must create nothing.</summary>
    Rejected,

    /// <summary>A read: any non-5xx answer, nothing can be created.</summary>
    AnyRead,

    /// <summary>Input the API may legitimately accept (a 100 KB payload string): any non-5xx answer, and it may create a row.</summary>
    MayCreate,
}

/// <summary>Who sends a fuzz request.</summary>
internal enum FuzzCaller { Tenant, Anonymous, Admin }

/// <summary>One fuzz request: its class (for the report), the raw bytes sent, and what it may get back.</summary>
internal sealed record FuzzCase(string Class, string Method, string Target, string BodyHead, FuzzExpectation Expectation, Func<FuzzContext, FuzzCaller, byte[]> Build)
{
    public FuzzCaller Caller { get; init; } = FuzzCaller.Tenant;

    /// <summary>The one 5xx this case may get, when HTTP itself names a 5xx for the client's mistake (505).</summary>
    public int? Allowed5xx { get; init; }

    public override string ToString() => $"{Method} {Target} [{Caller}] {BodyHead}";
}

/// <summary>The system the cases are built for: its port, credentials and the ids of real resources of the fuzz tenant.</summary>
internal sealed record FuzzContext(int Port, string TenantKey, string AdminKey, string StripeWebhookSecret, IReadOnlyDictionary<string, string> RealIds)
{
    public string Host => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The target with each <c>{real:resource}</c> replaced by the id of the tenant's real resource.</summary>
    public string Resolve(string target) =>
        RealIds.Aggregate(target, (t, id) => t.Replace("{real:" + id.Key + "}", id.Value, StringComparison.Ordinal));

    public byte[]? KeyOf(FuzzCaller caller) => caller switch
    {
        FuzzCaller.Tenant => Encoding.ASCII.GetBytes(TenantKey),
        FuzzCaller.Admin => Encoding.ASCII.GetBytes(AdminKey),
        _ => null,
    };
}

/// <summary>
/// Generates the hostile requests of issue 9 ("No 5xx for any client input") for every operation of openapi.yaml:
/// hostile path and query values, hostile values for every body field, hostile whole bodies, non-ASCII header
/// bytes and protocol violations.
/// </summary>
internal static class FuzzCases
{
    private const string Huge = "huge string (100 KB)";

    /// <summary>Values for a string field, as raw JSON bytes. All must be refused.</summary>
    private static readonly (string Name, byte[] Json)[] HostileStrings =
    [
        ("NUL in a string", "\"a\\u0000b\""u8.ToArray()),
        ("raw NUL byte in a string", [(byte)'"', (byte)'a', 0, (byte)'"']),
        ("lone surrogate", "\"\\ud800\""u8.ToArray()),
        ("lone low surrogate", "\"x\\udc00y\""u8.ToArray()),
        ("invalid UTF-8", [(byte)'"', 0xC3, 0x28, 0xFF, (byte)'"']),
        (Huge, Encoding.ASCII.GetBytes("\"" + new string('x', 100_000) + "\"")),
    ];

    /// <summary>Numbers that parse as JSON but fit no field.</summary>
    private static readonly (string Name, string Json)[] HostileNumbers =
    [
        ("number 1e999999", "1e999999"),
        ("number 1e-999999", "1e-999999"),
        ("number 99999999999999999999999", "99999999999999999999999"),
        ("number -1", "-1"),
        ("number 2147483648", "2147483648"),
        ("number 1.5", "1.5"),
    ];

    /// <summary>Values of the wrong JSON type for a field of <c>type</c>.</summary>
    private static IEnumerable<(string Name, string Json)> WrongTypes(string type) => type switch
    {
        "string" => [("wrong type: number", "42"), ("wrong type: boolean", "true"), ("wrong type: object", "{}"), ("wrong type: array", "[\"a\"]")],
        "integer" => [("wrong type: string", "\"5\""), ("wrong type: boolean", "false"), ("wrong type: object", "{}"), ("wrong type: array", "[5]")],
        "boolean" => [("wrong type: string", "\"true\""), ("wrong type: number", "1"), ("wrong type: object", "{}")],
        "array" => [("wrong type: string", "\"job.completed\""), ("wrong type: object", "{}"), ("wrong type: array of numbers", "[1,2]")],
        "object" => [("wrong type: string", "\"x\""), ("wrong type: number", "1"), ("wrong type: array", "[1]"), ("wrong type: boolean", "true")],
        _ => [],
    };

    private static readonly string[] HostileCron = ["*/2147483648 * * * *", "0 0 30 2 *", "*/0 * * * *", "99999999999999999999 * * * *", "* * * * * * *", ""];

    private static readonly string DeepArray = new string('[', 10_000) + new string(']', 10_000);

    private static readonly string TenThousandTags =
        "{" + string.Join(",", Enumerable.Range(0, 10_000).Select(i => $"\"t{i}\":\"v\"")) + "}";

    /// <summary>Valid bodies, one per operation with a body; each case spoils one part. Nothing here reaches outside 127.0.0.1.</summary>
    private static readonly Dictionary<string, string> ValidBodies = new()
    {
        ["POST /api/v1/jobs"] = """{"type":"echo","payload":{"a":1},"priority":5,"max_attempts":3,"queue_name":"default","ttl_seconds":60,"tags":{"k":"v"},"timeout_seconds":30}""",
        ["POST /api/v1/jobs/batch"] = """{"type":"echo","payload":{"a":1},"priority":5,"max_attempts":3,"queue_name":"default","ttl_seconds":60,"tags":{"k":"v"},"timeout_seconds":30}""",
        ["POST /auth/register"] = """{"email":"fuzz-new@example.com","password":"correct-horse-1"}""",
        ["POST /auth/login"] = """{"email":"fuzz-new@example.com","password":"correct-horse-1"}""",
        ["POST /auth/forgot-password"] = """{"email":"fuzz-new@example.com"}""",
        ["POST /auth/reset-password"] = """{"token":"not-a-token","password":"correct-horse-1"}""",
        ["POST /api/v1/keys"] = """{"name":"fuzz"}""",
        ["POST /portal/checkout"] = """{"tier":"pro"}""",
        ["POST /webhooks/stripe"] = """{"id":"evt_fuzz","type":"ping","created":1,"data":{"object":{}}}""",
        ["POST /api/v1/webhooks"] = """{"url":"http://127.0.0.1:9/fuzz","events":["job.completed"],"secret":"0123456789abcdef0123","description":"fuzz","enabled":true}""",
        ["PATCH /api/v1/webhooks/{id}"] = """{"url":"http://127.0.0.1:9/fuzz","events":["job.completed"],"secret":"0123456789abcdef0123","description":"fuzz","enabled":true}""",
        ["POST /api/v1/cron"] = """{"name":"fuzz-new","job_type":"echo","cron_expression":"0 0 1 1 *","timezone":"UTC","payload":{"a":1},"queue_name":"default","priority":5,"max_attempts":3,"timeout_seconds":30,"tags":{"k":"v"},"enabled":false}""",
        ["PATCH /api/v1/cron/{id}"] = """{"enabled":false,"cron_expression":"0 0 1 1 *","payload":{"a":1},"queue_name":"default","priority":5}""",
    };

    /// <summary>Operations whose valid use would leave 127.0.0.1 or undo the fixture: only hostile input goes there.</summary>
    private static readonly HashSet<string> NeverValid = ["POST /portal/regenerate-key"];

    public static List<FuzzCase> All(IReadOnlyList<OpenApiOperation> operations)
    {
        var cases = new List<FuzzCase>();
        foreach (var op in operations)
        {
            var key = $"{op.Method} {op.Path}";
            if (op.Path == "/ws")
            {
                // Not a WebSocket handshake: a plain GET must be a 400 in the envelope, never an upgrade.
                cases.Add(Http("websocket without upgrade", op.Method, "/ws", FuzzExpectation.Rejected, null));
                cases.AddRange(WebSocketCases());
                continue;
            }

            cases.AddRange(PathCases(op));
            cases.AddRange(QueryCases(op));
            if (op.Body is not null && ValidBodies.TryGetValue(key, out var valid))
            {
                cases.AddRange(FieldCases(op, valid));
                cases.AddRange(WholeBodyCases(op, valid));
            }

            if (!op.IsPublic && !NeverValid.Contains(key))
            {
                var body = op.Body is not null && ValidBodies.TryGetValue(key, out var b) ? b : null;
                cases.Add(Http("no credentials", op.Method, Concrete(op, "real"), FuzzExpectation.Rejected, Json(body, op)) with { Caller = FuzzCaller.Anonymous });
                cases.Add(HeaderCase("X-API-Key with non-ASCII bytes", op, "X-API-Key", "cl\u00e9-\u00e9"u8.ToArray(), body, FuzzExpectation.Rejected));
                cases.Add(HeaderCase("Authorization with non-ASCII bytes", op, "Authorization", Encoding.UTF8.GetBytes("Bearer caf\u00e9"), body, FuzzExpectation.Rejected));
            }

            if (op.Method == "GET")
            {
                cases.Add(HeaderCase("User-Agent café (UTF-8)", op, "User-Agent", Encoding.UTF8.GetBytes("caf\u00e9"), null, FuzzExpectation.AnyRead, FuzzCaller.Tenant));
                cases.Add(HeaderCase("User-Agent café (Latin-1)", op, "User-Agent", [.. "caf"u8, 0xE9], null, FuzzExpectation.AnyRead, FuzzCaller.Tenant));
                cases.Add(HeaderCase("X-Request-Id with non-ASCII bytes", op, "X-Request-Id", [0xE9, 0xFF, 0x80], null, FuzzExpectation.AnyRead, FuzzCaller.Tenant));
                cases.Add(Http("read as admin", op.Method, Concrete(op, "real"), FuzzExpectation.AnyRead, null) with { Caller = FuzzCaller.Admin });
            }
        }

        cases.AddRange(MethodCases(operations));
        cases.AddRange(SignedStripeCases());
        cases.AddRange(ProtocolCases());
        return cases;
    }

    private static IEnumerable<FuzzCase> PathCases(OpenApiOperation op)
    {
        if (!op.HasPathParameters)
        {
            yield break;
        }

        var key = $"{op.Method} {op.Path}";
        var body = ValidBodies.GetValueOrDefault(key);
        string[] hostile = ["%00", "%C3%28", "%FF%FE", "not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "1e999999", "99999999999999999999999", "-1",
            "00000000-0000-0000-0000-000000000000", "%7B%7D", "%F0%9F%92%A9", "%ED%A0%80", new string('a', 4000), "%20"];
        foreach (var value in hostile)
        {
            yield return Http("hostile path parameter", op.Method, op.Path.Replace("{id}", value, StringComparison.Ordinal), FuzzExpectation.Rejected, Json(body, op));
        }

        // Raw bytes the URL grammar does not allow: Kestrel's own 400 must be in the envelope too.
        yield return new FuzzCase("raw invalid bytes in the path", op.Method, op.Path + " <0xFF 0x00>", "", FuzzExpectation.Rejected, (ctx, caller) =>
            FuzzHttp.Request(op.Method, [.. Encoding.ASCII.GetBytes(op.Path.Replace("{id}", "x", StringComparison.Ordinal)), 0xFF, 0xC3], ctx.Host, Auth(ctx, caller), null));
    }

    private static IEnumerable<FuzzCase> QueryCases(OpenApiOperation op)
    {
        var mutating = op.Method != "GET";
        string[] values = ["%00", "a%00b", "%00:%00", "%C3%28", "1e999999", "1e-999999", "99999999999999999999999", "-1", "-99999999999999999999", "true", "%5B%5D", "%ED%A0%80", new string('z', 3000), ""];
        foreach (var name in op.QueryParameters)
        {
            foreach (var value in values)
            {
                var nul = value.Contains("%00", StringComparison.Ordinal);
                var expectation = mutating || nul ? FuzzExpectation.Rejected : FuzzExpectation.AnyRead;
                yield return Http(nul ? "NUL in a query value" : "hostile query value", op.Method, $"{Concrete(op, "real")}?{name}={value}", expectation, null);
            }

            yield return Http("repeated query parameter", op.Method, $"{Concrete(op, "real")}?{name}=1&{name}=2", mutating ? FuzzExpectation.Rejected : FuzzExpectation.AnyRead, null);
        }
    }

    private static IEnumerable<FuzzCase> FieldCases(OpenApiOperation op, string validBody)
    {
        var fields = op.Body!.Fields;
        foreach (var field in fields)
        {
            var values = new List<(string Class, byte[] Json, FuzzExpectation Expectation)>();
            foreach (var (name, json) in HostileStrings)
            {
                // A 100 KB string is fine inside a payload (it is data), and never fine in a bounded field.
                var inPayload = field.Name == "payload";
                var value = inPayload ? [.. "{\"s\":"u8, .. json, (byte)'}'] : json;
                values.Add((name, value, name == Huge && inPayload ? FuzzExpectation.MayCreate : FuzzExpectation.Rejected));
            }

            if (field.Type == "integer")
            {
                values.AddRange(HostileNumbers.Select(n => (n.Name, Encoding.ASCII.GetBytes(n.Json), FuzzExpectation.Rejected)));
            }

            if (field.Name == "payload")
            {
                // Numbers that parse but may not be storable: either stored or a 4xx, never a 500.
                values.AddRange(HostileNumbers.Select(n => ("payload " + n.Name, Encoding.ASCII.GetBytes($"{{\"n\":{n.Json}}}"), FuzzExpectation.MayCreate)));
                values.Add(("payload with a NUL key", "{\"a\\u0000\":1}"u8.ToArray(), FuzzExpectation.Rejected));
            }

            if (field.Name == "tags")
            {
                values.Add(("10,000 tags", Encoding.ASCII.GetBytes(TenThousandTags), FuzzExpectation.Rejected));
                values.Add(("NUL in a tag key and value", "{\"\\u0000\":\"\\u0000\"}"u8.ToArray(), FuzzExpectation.Rejected));
                values.Add(("huge tag key", Encoding.ASCII.GetBytes($"{{\"{new string('k', 10_000)}\":\"v\"}}"), FuzzExpectation.Rejected));
            }

            if (field.Name == "events")
            {
                values.Add(("NUL in an event name", "[\"job.completed\\u0000\"]"u8.ToArray(), FuzzExpectation.Rejected));
                values.Add(("10,000 events", Encoding.ASCII.GetBytes("[" + string.Join(",", Enumerable.Repeat("\"nope\"", 10_000)) + "]"), FuzzExpectation.Rejected));
            }

            if (field.Name == "cron_expression")
            {
                values.AddRange(HostileCron.Select(c => ($"cron \"{c}\"", Encoding.ASCII.GetBytes($"\"{c}\""), FuzzExpectation.Rejected)));
            }

            values.Add(("deeply nested arrays", Encoding.ASCII.GetBytes(DeepArray), FuzzExpectation.Rejected));
            values.AddRange(WrongTypes(field.Type).Select(w => (w.Name, Encoding.ASCII.GetBytes(w.Json),
                field.Name == "payload" ? FuzzExpectation.MayCreate : FuzzExpectation.Rejected)));

            // null for an optional field may mean "absent" and pass: then the request may create.
            values.Add(("null", "null"u8.ToArray(), field.Required ? FuzzExpectation.Rejected : FuzzExpectation.MayCreate));
            foreach (var (cls, json, expectation) in values)
            {
                var body = WithField(validBody, field.Name, json);
                yield return Body(cls + $" ({field.Name})", op, op.Body.IsArray ? [(byte)'[', .. body, (byte)']'] : body, expectation);
            }
        }

        if (!op.Body.IsArray)
        {
            // Hostile field names (the value is valid): an unknown field is refused.
            yield return Body("NUL in a field name", op, WithField(validBody, "a\\u0000", "1"u8.ToArray()), FuzzExpectation.Rejected);
            yield return Body("lone surrogate in a field name", op, WithField(validBody, "\\ud800", "1"u8.ToArray()), FuzzExpectation.Rejected);
        }
    }

    private static IEnumerable<FuzzCase> WholeBodyCases(OpenApiOperation op, string validBody)
    {
        var valid = Encoding.UTF8.GetBytes(op.Body!.IsArray ? $"[{validBody}]" : validBody);
        var optionalBody = op.Path == "/api/v1/keys";
        (string Class, byte[] Body)[] bodies =
        [
            ("non-object body: array", "[1,2]"u8.ToArray()),
            ("non-object body: string", "\"x\""u8.ToArray()),
            ("non-object body: number", "1e999999"u8.ToArray()),
            ("non-object body: null", "null"u8.ToArray()),
            ("non-object body: true", "true"u8.ToArray()),
            ("truncated JSON", valid[..(valid.Length / 2)]),
            ("trailing garbage", [.. valid, .. "}}"u8]),
            ("two JSON documents", [.. valid, .. valid]),
            ("invalid UTF-8 body", [0xFF, 0xFE, 0xC3, 0x28]),
            ("raw NUL bytes", [0, 0, 0, 0]),
            ("deeply nested body", Encoding.ASCII.GetBytes(DeepArray)),
            ("unknown field", WithField(validBody, "zz_unknown", "1"u8.ToArray())),
            ("empty object", "{}"u8.ToArray()),
        ];
        foreach (var (cls, body) in bodies)
        {
            // {} is a valid key request (all fields optional); an array is the batch's shape, [1,2] still invalid.
            var expectation = cls == "empty object" && optionalBody ? FuzzExpectation.MayCreate : FuzzExpectation.Rejected;
            yield return Body(cls, op, op.Body.IsArray && cls == "empty object" ? "[]"u8.ToArray() : body, expectation);
        }

        yield return Body("empty body", op, [], optionalBody ? FuzzExpectation.MayCreate : FuzzExpectation.Rejected);
        yield return Body("2 MB body", op, Encoding.ASCII.GetBytes("{\"type\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"), FuzzExpectation.Rejected);
        foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "application/xml", "application/jsonx", "", null })
        {
            yield return Body($"wrong Content-Type: {contentType ?? "none"}", op, valid, FuzzExpectation.Rejected, contentType);
        }

        // JSON is UTF-8 whatever the charset parameter says (RFC 8259 8.1): a server may read it or refuse it (415).
        yield return Body("Content-Type with a charset", op, valid, FuzzExpectation.MayCreate, "application/json; charset=latin1");
    }

    /// <summary>Real WebSocket handshakes with hostile query credentials or frame types: refused before the upgrade.</summary>
    private static IEnumerable<FuzzCase> WebSocketCases()
    {
        (string Query, bool WithKey)[] queries =
        [
            ("types=%00", true), ("types=job.nope", true), ("types=%ED%A0%80", true), ("api_key=%C3%A9", false),
            ("api_key=%00", false), ("token=%00.%00.%00", false), ("token=" + new string('t', 4000), false), ("", false),
        ];
        foreach (var (query, withKey) in queries)
        {
            yield return new FuzzCase("hostile websocket handshake", "GET", "/ws?" + query, "", FuzzExpectation.Rejected, (ctx, _) =>
                Encoding.ASCII.GetBytes(
                    $"GET /ws?{query} HTTP/1.1\r\nHost: {ctx.Host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                    (withKey ? $"X-API-Key: {ctx.TenantKey}\r\n" : "") + "\r\n"));
        }
    }

    /// <summary>Methods an operation does not have, on the paths every service shares (/health, /alive, /metrics) and on each API path.</summary>
    private static IEnumerable<FuzzCase> MethodCases(IReadOnlyList<OpenApiOperation> operations)
    {
        foreach (var path in new[] { "/health", "/alive", "/metrics" })
        {
            foreach (var method in new[] { "POST", "PUT", "DELETE", "PATCH" })
            {
                yield return Http("method not allowed on an infrastructure path", method, path, FuzzExpectation.Rejected, null);
            }
        }

        foreach (var group in operations.GroupBy(o => o.Path))
        {
            foreach (var method in new[] { "PUT", "PATCH", "DELETE", "POST" }.Except(group.Select(o => o.Method)))
            {
                var op = group.First();
                yield return Http("method not in openapi.yaml", method, Concrete(op, "real"), FuzzExpectation.Rejected, "{}"u8.ToArray());
            }
        }
    }

    /// <summary>Correctly signed Stripe events whose bodies are hostile: the signature is right, the body is not.</summary>
    private static IEnumerable<FuzzCase> SignedStripeCases()
    {
        string[] bodies = ["[]", "\"event\"", "1", "null", "{\"id\":\"evt_\\u0000\",\"type\":\"ping\"}", "{\"id\":\"evt_x\",\"type\":\"\\ud800\"}",
            "{\"id\":\"evt_n\",\"type\":\"customer.subscription.updated\",\"created\":1e999999,\"data\":{\"object\":{\"id\":\"sub_\\u0000\"}}}",
            "{\"id\":\"evt_t", DeepArray, "{\"id\":[],\"type\":{}}"];
        foreach (var body in bodies)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            yield return new FuzzCase("signed Stripe event with a hostile body", "POST", "/webhooks/stripe", Head(bytes), FuzzExpectation.Rejected, (ctx, _) =>
            {
                var t = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                byte[] signed = [.. Encoding.ASCII.GetBytes(t + "."), .. bytes];
                var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(ctx.StripeWebhookSecret), signed);
                return FuzzHttp.Request("POST", "/webhooks/stripe"u8.ToArray(), ctx.Host,
                    [("Content-Type", "application/json"u8.ToArray()), ("Stripe-Signature", Encoding.ASCII.GetBytes($"t={t},v1={Convert.ToHexStringLower(mac)}"))], bytes);
            });
        }
    }

    /// <summary>Requests that break HTTP itself: Kestrel answers them before any service code, and must answer in the envelope.</summary>
    private static IEnumerable<FuzzCase> ProtocolCases()
    {
        yield return Raw("bad request line", "GARBAGE", (ctx, _) => "GARBAGE\r\n\r\n"u8.ToArray());
        yield return Raw("bad request line", "GET / HTTP/1.1 extra", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1 extra\r\nHost: {ctx.Host}\r\n\r\n"));
        yield return Raw("bad request line", "GET  HTTP/1.1", (ctx, _) => Encoding.ASCII.GetBytes($"GET  HTTP/1.1\r\nHost: {ctx.Host}\r\n\r\n"));
        yield return Raw("HTTP/9.9", "GET /api/v1/jobs HTTP/9.9", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/9.9\r\nHost: {ctx.Host}\r\nConnection: close\r\n\r\n")) with
        {
            // RFC 9110 15.6.6: 505 is the answer to a version the server does not support; in the envelope like any error.
            Allowed5xx = 505,
        };
        yield return Raw("bad header bytes", "header name with a space", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nBad Header: x\r\nConnection: close\r\n\r\n"));
        yield return Raw("bad header bytes", "control byte in a header name", (ctx, _) => [.. Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nX-"), 0x01, .. "A: y\r\nConnection: close\r\n\r\n"u8]);
        yield return Raw("bad header bytes", "NUL in a header value", (ctx, _) => [.. Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nX-A: a"), 0x00, .. "b\r\nConnection: close\r\n\r\n"u8]);
        yield return Raw("bad header bytes", "header line without a colon", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nNoColon\r\nConnection: close\r\n\r\n"));
        yield return Raw("bad header bytes", "no Host", (ctx, _) => "GET /api/v1/jobs HTTP/1.1\r\nConnection: close\r\n\r\n"u8.ToArray());
        yield return Raw("bad header bytes", "Content-Length not a number", (ctx, _) => Encoding.ASCII.GetBytes($"POST /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nContent-Length: abc\r\nConnection: close\r\n\r\n"));
        yield return Raw("bad header bytes", "two Content-Lengths", (ctx, _) => Encoding.ASCII.GetBytes($"POST /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{{}}"));
        yield return Raw("bad chunked body", "bad chunk size", (ctx, _) => Encoding.ASCII.GetBytes($"POST /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"));
        yield return Raw("20 KB URI (414)", "GET /api/v1/jobs?type=x…", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs?type={new string('x', 20 * 1024)} HTTP/1.1\r\nHost: {ctx.Host}\r\nConnection: close\r\n\r\n"));
        yield return Raw("64 KB headers (431)", "X-Big: 64 KB", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\nX-Big: {new string('h', 64 * 1024)}\r\nConnection: close\r\n\r\n"));
        yield return Raw("64 KB headers (431)", "1,000 headers", (ctx, _) => Encoding.ASCII.GetBytes($"GET /api/v1/jobs HTTP/1.1\r\nHost: {ctx.Host}\r\n{string.Concat(Enumerable.Range(0, 1000).Select(i => $"X-H{i}: {new string('v', 60)}\r\n"))}Connection: close\r\n\r\n"));
    }

    private static FuzzCase Raw(string cls, string what, Func<FuzzContext, FuzzCaller, byte[]> build) =>
        new(cls, "RAW", what, "", FuzzExpectation.Rejected, build);

    private static FuzzCase Http(string cls, string method, string target, FuzzExpectation expectation, byte[]? body) =>
        new(cls, method, target, body is null ? "" : Head(body), expectation, (ctx, caller) => FuzzHttp.Request(method, Encoding.ASCII.GetBytes(ctx.Resolve(target)), ctx.Host,
            body is null ? Auth(ctx, caller) : [.. Auth(ctx, caller), ("Content-Type", "application/json"u8.ToArray())], body));

    private static FuzzCase Body(string cls, OpenApiOperation op, byte[] body, FuzzExpectation expectation, string? contentType = "application/json")
    {
        var target = Concrete(op, "real");
        return new FuzzCase(cls, op.Method, target, Head(body), expectation, (ctx, caller) =>
        {
            var headers = Auth(ctx, caller);
            if (contentType is not null)
            {
                headers.Add(("Content-Type", Encoding.ASCII.GetBytes(contentType)));
            }

            return FuzzHttp.Request(op.Method, Encoding.ASCII.GetBytes(ctx.Resolve(target)), ctx.Host, headers, body);
        });
    }

    private static FuzzCase HeaderCase(string cls, OpenApiOperation op, string name, byte[] value, string? body, FuzzExpectation expectation, FuzzCaller caller = FuzzCaller.Anonymous)
    {
        var target = Concrete(op, "real");
        var bytes = Json(body, op);
        return new FuzzCase(cls, op.Method, target, Head(value), expectation, (ctx, _) =>
        {
            var headers = name == "X-API-Key" || name == "Authorization" ? [] : Auth(ctx, caller);
            headers.Add((name, value));
            if (bytes is not null)
            {
                headers.Add(("Content-Type", "application/json"u8.ToArray()));
            }

            return FuzzHttp.Request(op.Method, Encoding.ASCII.GetBytes(ctx.Resolve(target)), ctx.Host, headers, bytes);
        }) { Caller = caller };
    }

    private static List<(string Name, byte[] Value)> Auth(FuzzContext ctx, FuzzCaller caller) =>
        ctx.KeyOf(caller) is { } key ? [("X-API-Key", key)] : [];

    /// <summary>The path with its {id} a real resource of the fuzz tenant (placeholder "real"), resolved when the request is built.</summary>
    private static string Concrete(OpenApiOperation op, string id) =>
        op.HasPathParameters ? op.Path.Replace("{id}", "{" + id + ":" + op.Path.Split('/')[3] + "}", StringComparison.Ordinal) : op.Path;

    private static byte[]? Json(string? body, OpenApiOperation op) =>
        body is null ? null : Encoding.UTF8.GetBytes(op.Body?.IsArray == true ? $"[{body}]" : body);

    /// <summary>
    /// Seeded bodies that spoil two or three fields at once, each with a value that alone must be refused: the part
    /// of the run that FUZZ_SEED varies beyond the order, and that grows with FUZZ_REQUESTS.
    /// </summary>
    public static IEnumerable<FuzzCase> Mixed(IReadOnlyList<OpenApiOperation> operations, Random random)
    {
        var withBodies = operations.Where(o => o.Body is { Fields.Count: > 1 } && ValidBodies.ContainsKey($"{o.Method} {o.Path}")).ToList();
        while (withBodies.Count > 0)
        {
            var op = withBodies[random.Next(withBodies.Count)];
            var spoiled = op.Body!.Fields.OrderBy(_ => random.Next()).Take(random.Next(2, 4)).Select(f =>
            {
                var values = HostileStrings.Where(h => f.Name != "payload" || h.Name != Huge).Select(h => h.Json)
                    .Concat(f.Type == "integer" ? HostileNumbers.Select(n => Encoding.ASCII.GetBytes(n.Json)) : [])
                    .Concat(f.Name == "payload" ? [] : WrongTypes(f.Type).Select(w => Encoding.ASCII.GetBytes(w.Json)))
                    .ToList();
                return (f.Name, values[random.Next(values.Count)]);
            }).ToList();
            var body = WithFields(ValidBodies[$"{op.Method} {op.Path}"], spoiled);
            yield return Body("several hostile fields", op, op.Body.IsArray ? [(byte)'[', .. body, (byte)']'] : body, FuzzExpectation.Rejected);
        }
    }

    /// <summary>The valid body with <paramref name="field"/> set to <paramref name="json"/> (replaced when present, added when not).</summary>
    private static byte[] WithField(string validBody, string field, byte[] json) => WithFields(validBody, [(field, json)]);

    private static byte[] WithFields(string validBody, IReadOnlyList<(string Name, byte[] Json)> fields)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(validBody)!.AsObject();
        var bytes = new List<byte>();
        foreach (var (name, json) in fields)
        {
            node.Remove(name);
            bytes.AddRange(Encoding.UTF8.GetBytes(bytes.Count == 0 ? $"{{\"{name}\":" : $",\"{name}\":"));
            bytes.AddRange(json);
        }

        var rest = node.ToJsonString();
        bytes.AddRange(rest == "{}" ? "}"u8.ToArray() : Encoding.UTF8.GetBytes("," + rest[1..]));
        return [.. bytes];
    }

    private static string Head(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 80)).Replace("\0", "\\0", StringComparison.Ordinal);
        return bytes.Length > 80 ? $"{text}… ({bytes.Length} bytes)" : text;
    }
}
