using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using Npgsql;

namespace JobQueue.EndToEnd.Tests;

/// <summary>Small helpers over the public API, as a client calls it through the gateway, and over the database.</summary>
internal static class Api
{
    /// <summary>The settings that make retries, lease expiry and drains take seconds rather than minutes.</summary>
    public static Dictionary<string, string> FastEnvironment(string shutdownTimeout = "5s") => new()
    {
        ["RETRY_BASE_DELAY"] = "200ms",
        ["RETRY_MAX_DELAY"] = "1s",
        ["WORKER_HEARTBEAT_INTERVAL"] = "1s",
        ["WORKER_LEASE_DURATION"] = "3s",
        ["WORKER_SHUTDOWN_TIMEOUT"] = shutdownTimeout,
        ["WORKER_COUNT"] = "8",
        ["WEBHOOK_RETRY_BASE_DELAY"] = "200ms",
        ["WEBHOOK_RETRY_MAX_DELAY"] = "1s",
    };

    /// <summary>The whole envelope <c>{data, error, meta}</c> of a response.</summary>
    public static async Task<JsonElement> EnvelopeAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(text);
        }
        catch (JsonException e)
        {
            throw new AssertionException($"{(int)response.StatusCode} {response.StatusCode} is not a JSON envelope: '{text}' ({e.Message})");
        }
    }

    /// <summary>Asserts the envelope of an error: data null, a non-empty error message, a request id.</summary>
    public static async Task<JsonElement> ErrorEnvelopeAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.EnvelopeAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(expected), body.ToString());
            Assert.That(body.GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null), body.ToString());
            Assert.That(body.GetProperty("error").GetString(), Is.Not.Null.And.Not.Empty, body.ToString());
            Assert.That(body.GetProperty("meta").GetProperty("request_id").GetString(), Is.Not.Null.And.Not.Empty, body.ToString());
        }

        return body;
    }

    /// <summary>A new account's client (its own tenant), signed in with the API key made at registration.</summary>
    public static async Task<HttpClient> RegisterTenantAsync(this SystemUnderTest sut, string emailPrefix)
    {
        using var anonymous = sut.CreateClient(null);
        using var response = await anonymous.PostAsJsonAsync("/auth/register", new { email = $"{emailPrefix}-{Guid.NewGuid():N}@example.com", password = "correct horse battery staple" });
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return sut.CreateClient(body.GetProperty("data").GetProperty("api_key").GetProperty("key").GetString());
    }

    /// <summary>POST /api/v1/jobs, asserting 201; returns the job.</summary>
    public static async Task<JsonElement> EnqueueAsync(this SystemUnderTest sut, object request)
    {
        using var response = await sut.Client.PostAsJsonAsync("/api/v1/jobs", request);
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return body.GetProperty("data");
    }

    public static async Task<Guid> EnqueueIdAsync(this SystemUnderTest sut, object request) =>
        (await sut.EnqueueAsync(request)).GetProperty("id").GetGuid();

    /// <summary>POST /api/v1/jobs/batch in chunks of 100 (the batch limit), asserting 201; returns the ids.</summary>
    public static async Task<List<Guid>> EnqueueBatchAsync(this SystemUnderTest sut, IEnumerable<object> requests)
    {
        var ids = new List<Guid>();
        foreach (var chunk in requests.Chunk(100))
        {
            using var response = await sut.Client.PostAsJsonAsync("/api/v1/jobs/batch", chunk);
            var body = await response.EnvelopeAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
            ids.AddRange(body.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
        }

        return ids;
    }

    /// <summary>GET /api/v1/jobs/{id}, asserting 200; returns the job.</summary>
    public static async Task<JsonElement> GetJobAsync(this SystemUnderTest sut, Guid id)
    {
        using var response = await sut.Client.GetAsync($"/api/v1/jobs/{id}");
        var body = await response.EnvelopeAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body.GetProperty("data");
    }

    public static async Task<string> StatusAsync(this SystemUnderTest sut, Guid id) =>
        (await sut.GetJobAsync(id)).GetProperty("status").GetString()!;

    /// <summary>Waits, through the API, until the job has <paramref name="status"/>; returns it then.</summary>
    public static async Task<JsonElement> WaitForJobAsync(this SystemUnderTest sut, Guid id, string status, TimeSpan timeout)
    {
        JsonElement job = default;
        try
        {
            await Polling.WaitUntil(async () =>
            {
                job = await sut.GetJobAsync(id);
                return job.GetProperty("status").GetString() == status;
            }, timeout, $"job {id} is {status}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last seen: {job}", e);
        }

        return job;
    }

    /// <summary>
    /// Waits until every job has <paramref name="status"/> (one query for all, straight from Postgres, so hundreds of
    /// jobs cost one round trip per poll). On timeout, says how many are in which status.
    /// </summary>
    public static async Task WaitForStatusAsync(this SystemUnderTest sut, IReadOnlyCollection<Guid> ids, string status, TimeSpan timeout)
    {
        try
        {
            await Polling.WaitUntil(async () => (await sut.CountByStatusAsync(ids)).GetValueOrDefault(status) == ids.Count, timeout, $"{ids.Count} jobs are {status}");
        }
        catch (TimeoutException e)
        {
            var counts = await sut.CountByStatusAsync(ids);
            throw new TimeoutException($"{e.Message} Now: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}.", e);
        }
    }

    /// <summary>How many of <paramref name="ids"/> are in each status.</summary>
    public static async Task<Dictionary<string, long>> CountByStatusAsync(this SystemUnderTest sut, IReadOnlyCollection<Guid> ids)
    {
        await using var conn = sut.OpenConnection();
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status, count(*) FROM jobs WHERE id = ANY(@ids) GROUP BY status", conn);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync();
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>
    /// A connection to the system's database, unpooled: the tests stop and start Postgres, and a pooled connection
    /// from before would fail with 57P01 when reused.
    /// </summary>
    public static NpgsqlConnection OpenConnection(this SystemUnderTest sut) =>
        new(new NpgsqlConnectionStringBuilder(sut.PostgresConnectionString) { Pooling = false }.ConnectionString);

    /// <summary>A scalar straight from the system's database (count(*) and the like).</summary>
    public static async Task<T> ScalarAsync<T>(this SystemUnderTest sut, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = sut.OpenConnection();
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var scalar = await cmd.ExecuteScalarAsync();
        return scalar is null or DBNull ? default! : (T)scalar;
    }

    /// <summary>The worker id (<c>host-pid-replica</c>) the worker process registered, once it has.</summary>
    public static async Task<string> WorkerIdOfAsync(this SystemUnderTest sut, SystemProcess worker, TimeSpan timeout)
    {
        string? id = null;
        await Polling.WaitUntil(async () =>
        {
            id = await sut.ScalarAsync<string?>("SELECT (SELECT id FROM workers WHERE pid = @pid ORDER BY started_at DESC LIMIT 1)", ("pid", worker.Pid));
            return id is not null;
        }, timeout, $"{worker.Name} (pid {worker.Pid}) has registered");
        return id!;
    }

    /// <summary>How many jobs are running on the worker <paramref name="workerId"/>, among <paramref name="ids"/>.</summary>
    public static Task<long> RunningOnAsync(this SystemUnderTest sut, string workerId, IReadOnlyCollection<Guid> ids) =>
        sut.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status = 'running' AND worker_id = @worker", ("ids", ids.ToArray()), ("worker", workerId));

    /// <summary>An RFC 3339 UTC timestamp as the API takes it.</summary>
    public static string Rfc3339(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
