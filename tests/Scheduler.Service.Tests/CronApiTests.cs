using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using JobQueue.Storage.Migrations;
using JobQueue.Testing;
using Npgsql;
using NUnit.Framework;
using static JobQueue.Testing.Polling;

namespace Scheduler.Service.Tests;

/// <summary>/api/v1/cron through the HTTP surface: CRUD, strict validation, tenant scoping, and firing.</summary>
public sealed class CronApiTests
{
    private string _connectionString = "";
    private SchedulerFactory _factory = null!;
    private HttpClient _tenant = null!;
    private HttpClient _admin = null!;

    private static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        // In the system Jobs.Api applies the schema before the scheduler starts; here we do.
        await using (var dataSource = NpgsqlDataSource.Create(_connectionString))
        {
            await Migrator.MigrateAsync(dataSource, CancellationToken.None);
        }

        _factory = new SchedulerFactory(_connectionString);
        _tenant = _factory.CreateClient(SchedulerFactory.ApiKey);
        _admin = _factory.CreateClient(SchedulerFactory.AdminKey);
        using var health = await _tenant.GetAsync("/health");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), await health.Content.ReadAsStringAsync());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _tenant?.Dispose();
        _admin?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    private static string UniqueName() => "s-" + Guid.NewGuid().ToString("N")[..12];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = json is null ? null : Json(json) };
        using var response = await client.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var body = JsonNode.Parse(text) as JsonObject ?? throw new AssertionException($"not a JSON object: {text}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(body.ContainsKey("data") && body.ContainsKey("error"), Is.True, text);
            Assert.That(body["meta"]?["request_id"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, text);
        }

        return (response.StatusCode, body);
    }

    private static async Task<JsonNode> CreateAsync(HttpClient client, string json)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Post, "/api/v1/cron", json);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        return body["data"]!;
    }

    private static string Id(JsonNode schedule) => schedule["id"]!.GetValue<string>();

    [Test]
    public async Task Create_Answers201WithTheSchedule_ThenGetAndListShowIt()
    {
        var name = UniqueName();
        var created = await CreateAsync(_tenant, $$$"""
            {"name":"{{{name}}}","job_type":"report.build","cron_expression":"0 9 * * 1-5","timezone":"Europe/Paris",
             "payload":{"to":"ops"},"queue_name":"bulk","priority":7,"max_attempts":3,"timeout_seconds":60,"tags":{"team":"a"}}
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created["name"]!.GetValue<string>(), Is.EqualTo(name));
            Assert.That(created["job_type"]!.GetValue<string>(), Is.EqualTo("report.build"));
            Assert.That(created["cron_expression"]!.GetValue<string>(), Is.EqualTo("0 9 * * 1-5"));
            Assert.That(created["timezone"]!.GetValue<string>(), Is.EqualTo("Europe/Paris"));
            Assert.That(created["payload"]!["to"]!.GetValue<string>(), Is.EqualTo("ops"));
            Assert.That(created["queue_name"]!.GetValue<string>(), Is.EqualTo("bulk"));
            Assert.That(created["priority"]!.GetValue<int>(), Is.EqualTo(7));
            Assert.That(created["max_attempts"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(created["timeout_seconds"]!.GetValue<int>(), Is.EqualTo(60));
            Assert.That(created["enabled"]!.GetValue<bool>(), Is.True);
            Assert.That(created["last_run_at"], Is.Null);
            // 09:00 in Paris is 07:00 or 08:00 UTC.
            Assert.That(created["next_run_at"]!.GetValue<DateTime>().ToUniversalTime().Hour, Is.AnyOf(7, 8));
        }

        var (status, got) = await SendAsync(_tenant, HttpMethod.Get, $"/api/v1/cron/{Id(created)}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(JsonNode.DeepEquals(got["data"], created), Is.True, $"{got["data"]!.ToJsonString()} != {created.ToJsonString()}");

        var (listStatus, list) = await SendAsync(_tenant, HttpMethod.Get, "/api/v1/cron");
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list["data"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()), Does.Contain(Id(created)));
    }

    [Test]
    public async Task Create_WithANameTheTenantAlreadyUses_Is409_ButAnotherTenantMayUseIt()
    {
        var name = UniqueName();
        var json = $$"""{"name":"{{name}}","job_type":"noop","cron_expression":"*/5 * * * *"}""";
        await CreateAsync(_tenant, json);

        var (status, body) = await SendAsync(_tenant, HttpMethod.Post, "/api/v1/cron", json);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(body["error"]!.GetValue<string>(), Does.Contain(name));
        await CreateAsync(_admin, json); // the admin's own schedules belong to the tenant "admin"
    }

    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"61 * * * *"}""", HttpStatusCode.UnprocessableEntity, "invalid cron expression '61 * * * *'")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * *"}""", HttpStatusCode.UnprocessableEntity, "expected 5 fields")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","timezone":"Mars/Base"}""", HttpStatusCode.UnprocessableEntity, "unknown time zone 'Mars/Base'")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","priority":0}""", HttpStatusCode.UnprocessableEntity, "'priority' must be between 1 and 10, got 0")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","queue_name":"urgent"}""", HttpStatusCode.UnprocessableEntity, "unknown queue 'urgent'")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","max_attempts":0}""", HttpStatusCode.UnprocessableEntity, "'max_attempts' must be between 1")]
    [TestCase("""{"name":"x","cron_expression":"* * * * *"}""", HttpStatusCode.UnprocessableEntity, "'job_type' is required")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","every":"day"}""", HttpStatusCode.BadRequest, "unknown field 'every'")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":5}""", HttpStatusCode.BadRequest, "'cron_expression' must be a string")]
    [TestCase("""{"name":"x",""", HttpStatusCode.BadRequest, "malformed JSON")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"*/2147483648 * * * *"}""", HttpStatusCode.UnprocessableEntity, "invalid cron expression '*/2147483648 * * * *'")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"99999999999 * * * *"}""", HttpStatusCode.UnprocessableEntity, "invalid cron expression")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"0 0 30 2 *"}""", HttpStatusCode.UnprocessableEntity, "never fires")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"0 0 0 31 4 *"}""", HttpStatusCode.UnprocessableEntity, "never fires")]
    [TestCase("""{"name":"x\u0000","job_type":"noop","cron_expression":"* * * * *"}""", HttpStatusCode.UnprocessableEntity, "'name' must not contain the NUL character")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","payload":{"\ud800":1}}""", HttpStatusCode.BadRequest, "malformed JSON")]
    [TestCase("""{"name":"x","job_type":"noop","cron_expression":"* * * * *","tags":{"k":"\u0000"}}""", HttpStatusCode.UnprocessableEntity, "'tags.k'")]
    public async Task Create_IsRefused_WithTheReason_AndCreatesNothing(string json, HttpStatusCode expected, string reason)
    {
        var (_, before) = await CountAsync(_tenant);

        var (status, body) = await SendAsync(_tenant, HttpMethod.Post, "/api/v1/cron", json);

        Assert.That(status, Is.EqualTo(expected), body.ToJsonString());
        Assert.That(body["data"], Is.Null);
        Assert.That(body["error"]!.GetValue<string>(), Does.Contain(reason));
        Assert.That((await CountAsync(_tenant)).Count, Is.EqualTo(before));
    }

    [Test]
    public async Task Create_WithoutJsonContentType_Is415()
    {
        using var response = await _tenant.PostAsync("/api/v1/cron", new StringContent("{}", Encoding.UTF8, "text/plain"), Ct);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task Request_WithoutAKey_Is401InTheEnvelope()
    {
        using var anonymous = _factory.CreateClient(apiKey: null);

        var (status, body) = await SendAsync(anonymous, HttpMethod.Get, "/api/v1/cron");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body["error"]!.GetValue<string>(), Does.Contain("API key"));
    }

    [Test]
    public async Task AnotherTenantsSchedule_Answers404_ToGetPatchAndDelete_AndIsNotListed()
    {
        var theirs = await CreateAsync(_admin, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 * * *"}""");
        var url = $"/api/v1/cron/{Id(theirs)}";

        var get = await SendAsync(_tenant, HttpMethod.Get, url);
        var patch = await SendAsync(_tenant, HttpMethod.Patch, url, """{"enabled":false}""");
        var delete = await SendAsync(_tenant, HttpMethod.Delete, url);
        var (_, list) = await SendAsync(_tenant, HttpMethod.Get, "/api/v1/cron");

        Assert.That((get.Status, patch.Status, delete.Status), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(list["data"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()), Does.Not.Contain(Id(theirs)));
        var (_, still) = await SendAsync(_admin, HttpMethod.Get, url);
        Assert.That(still["data"]!["enabled"]!.GetValue<bool>(), Is.True, "the tenant's PATCH changed nothing");
    }

    [Test]
    public async Task Admin_SeesEveryTenantsSchedules()
    {
        var mine = await CreateAsync(_tenant, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 * * *"}""");

        var (status, list) = await SendAsync(_admin, HttpMethod.Get, "/api/v1/cron");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list["data"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()), Does.Contain(Id(mine)));
    }

    [Test]
    public async Task Patch_Disable_ThenReenable_RecomputesTheNextRun_AndChangesWhatWasSent()
    {
        var created = await CreateAsync(_tenant, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 1 1 *","priority":4}""");
        var url = $"/api/v1/cron/{Id(created)}";

        var (disabledStatus, disabled) = await SendAsync(_tenant, HttpMethod.Patch, url, """{"enabled":false}""");
        var (changedStatus, changed) = await SendAsync(_tenant, HttpMethod.Patch, url,
            """{"enabled":true,"cron_expression":"*/5 * * * *","timezone":"Asia/Tokyo","priority":9,"payload":{"v":2},"queue_name":"critical","max_attempts":2}""");

        Assert.That(disabledStatus, Is.EqualTo(HttpStatusCode.OK), disabled.ToJsonString());
        Assert.That(disabled["data"]!["enabled"]!.GetValue<bool>(), Is.False);
        Assert.That(changedStatus, Is.EqualTo(HttpStatusCode.OK), changed.ToJsonString());
        var s = changed["data"]!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(s["enabled"]!.GetValue<bool>(), Is.True);
            Assert.That(s["cron_expression"]!.GetValue<string>(), Is.EqualTo("*/5 * * * *"));
            Assert.That(s["timezone"]!.GetValue<string>(), Is.EqualTo("Asia/Tokyo"));
            Assert.That(s["priority"]!.GetValue<int>(), Is.EqualTo(9));
            Assert.That(s["payload"]!["v"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(s["queue_name"]!.GetValue<string>(), Is.EqualTo("critical"));
            Assert.That(s["max_attempts"]!.GetValue<int>(), Is.EqualTo(2));
            // From January 1st to within the next five minutes.
            Assert.That(s["next_run_at"]!.GetValue<DateTime>().ToUniversalTime(), Is.LessThanOrEqualTo(DateTime.UtcNow.AddMinutes(5)));
        }
    }

    [TestCase("""{"cron_expression":"* * * * * * *"}""", HttpStatusCode.UnprocessableEntity, "got 7")]
    [TestCase("""{"timezone":"Nowhere"}""", HttpStatusCode.UnprocessableEntity, "unknown time zone 'Nowhere'")]
    [TestCase("""{"priority":11}""", HttpStatusCode.UnprocessableEntity, "'priority' must be between 1 and 10")]
    [TestCase("""{"job_type":"other"}""", HttpStatusCode.BadRequest, "unknown field 'job_type'")]
    [TestCase("""{}""", HttpStatusCode.UnprocessableEntity, "nothing to change")]
    [TestCase("""{"cron_expression":"*/2147483648 * * * *"}""", HttpStatusCode.UnprocessableEntity, "invalid cron expression '*/2147483648 * * * *'")]
    [TestCase("""{"cron_expression":"0 0 30 2 *"}""", HttpStatusCode.UnprocessableEntity, "never fires")]
    [TestCase("""{"cron_expression":"0 0 31 11 *"}""", HttpStatusCode.UnprocessableEntity, "never fires")]
    [TestCase("""{"cron_expression":"*/0 * * * *"}""", HttpStatusCode.UnprocessableEntity, "invalid cron expression '*/0 * * * *'")]
    [TestCase("""{"name":"\u0000"}""", HttpStatusCode.UnprocessableEntity, "'name' must not contain the NUL character")]
    public async Task Patch_IsRefused_WithTheReason(string json, HttpStatusCode expected, string reason)
    {
        var created = await CreateAsync(_tenant, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 * * *"}""");

        var (status, body) = await SendAsync(_tenant, HttpMethod.Patch, $"/api/v1/cron/{Id(created)}", json);

        Assert.That(status, Is.EqualTo(expected), body.ToJsonString());
        Assert.That(body["error"]!.GetValue<string>(), Does.Contain(reason));
    }

    [Test]
    public async Task Patch_ToANameTheTenantAlreadyUses_Is409()
    {
        var taken = UniqueName();
        await CreateAsync(_tenant, $$"""{"name":"{{taken}}","job_type":"noop","cron_expression":"0 0 * * *"}""");
        var other = await CreateAsync(_tenant, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 * * *"}""");

        var (status, _) = await SendAsync(_tenant, HttpMethod.Patch, $"/api/v1/cron/{Id(other)}", $$"""{"name":"{{taken}}"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task Delete_Answers200WithTheIdAndDeleted_ThenTheScheduleIsGone()
    {
        var created = await CreateAsync(_tenant, $$"""{"name":"{{UniqueName()}}","job_type":"noop","cron_expression":"0 0 * * *"}""");
        var url = $"/api/v1/cron/{Id(created)}";

        var (status, body) = await SendAsync(_tenant, HttpMethod.Delete, url);
        var (after, _) = await SendAsync(_tenant, HttpMethod.Get, url);
        var (again, _) = await SendAsync(_tenant, HttpMethod.Delete, url);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body["data"]!["id"]!.GetValue<string>(), Is.EqualTo(Id(created)));
        Assert.That(body["data"]!["status"]!.GetValue<string>(), Is.EqualTo("deleted"));
        Assert.That((after, again), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
    }

    [Test]
    public async Task NonUuidId_Is400()
    {
        var (status, body) = await SendAsync(_tenant, HttpMethod.Get, "/api/v1/cron/not-a-uuid");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body["error"]!.GetValue<string>(), Does.Contain("must be a UUID"));
    }

    [Test]
    public async Task EverySecondSchedule_IsFiredByTheLeader_AsJobsOwnedByTheTenant_TaggedWithTheSchedule()
    {
        var name = UniqueName();
        var created = await CreateAsync(_tenant, $$$"""{"name":"{{{name}}}","job_type":"noop","cron_expression":"* * * * * *","tags":{"team":"a"}}""");

        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync(Ct);
        await WaitUntil(async () => await CountJobsAsync(conn, Id(created)) >= 2, TimeSpan.FromSeconds(60), $"schedule {name} fired twice", Ct);
        await SendAsync(_tenant, HttpMethod.Patch, $"/api/v1/cron/{Id(created)}", """{"enabled":false}""");

        await using var cmd = new NpgsqlCommand(
            "SELECT owner, type, tags->>'cron', tags->>'team', count(*) OVER (PARTITION BY tags->>'cron_tick') FROM jobs WHERE tags->>'cron_id' = @id", conn);
        cmd.Parameters.AddWithValue("id", Id(created));
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            Assert.That(
                (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)),
                Is.EqualTo(("default", "noop", name, "a", 1L)),
                "owner, type, tags, and one job per tick");
        }

        var (_, after) = await SendAsync(_tenant, HttpMethod.Get, $"/api/v1/cron/{Id(created)}");
        Assert.That(after["data"]!["last_run_at"], Is.Not.Null);
    }

    private static async Task<long> CountJobsAsync(NpgsqlConnection conn, string scheduleId)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE tags->>'cron_id' = @id", conn);
        cmd.Parameters.AddWithValue("id", scheduleId);
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<(HttpStatusCode Status, int Count)> CountAsync(HttpClient client)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Get, "/api/v1/cron");
        return (status, body["data"]!.AsArray().Count);
    }
}
