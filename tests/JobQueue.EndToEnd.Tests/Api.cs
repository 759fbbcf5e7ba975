using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests;

/// <summary>Small helpers over the public API, as a client would call it through the gateway.</summary>
internal static class Api
{
    public static async Task<JsonElement> EnqueueAsync(this SystemUnderTest sut, object request)
    {
        using var response = await sut.Client.PostAsJsonAsync("/api/v1/jobs", request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return body.GetProperty("data");
    }

    public static async Task<List<Guid>> EnqueueBatchAsync(this SystemUnderTest sut, IEnumerable<object> requests)
    {
        using var response = await sut.Client.PostAsJsonAsync("/api/v1/jobs/batch", requests);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return body.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
    }

    public static async Task<JsonElement> GetJobAsync(this SystemUnderTest sut, Guid id)
    {
        var body = await sut.Client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}");
        return body.GetProperty("data");
    }

    public static async Task<string> StatusAsync(this SystemUnderTest sut, Guid id) =>
        (await sut.GetJobAsync(id)).GetProperty("status").GetString()!;

    /// <summary>Waits until every job has the status (a bound, not a speed assertion).</summary>
    public static Task WaitForStatusAsync(this SystemUnderTest sut, IReadOnlyCollection<Guid> ids, string status, TimeSpan timeout) =>
        Polling.WaitUntil(async () =>
        {
            await using var conn = new Npgsql.NpgsqlConnection(sut.PostgresConnectionString);
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs WHERE id = ANY(@ids) AND status = @status", conn);
            cmd.Parameters.AddWithValue("ids", ids.ToArray());
            cmd.Parameters.AddWithValue("status", status);
            return (long)(await cmd.ExecuteScalarAsync())! == ids.Count;
        }, timeout, $"{ids.Count} jobs {status}");

    public static async Task<long> CountJobsAsync(this SystemUnderTest sut)
    {
        await using var conn = new Npgsql.NpgsqlConnection(sut.PostgresConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM jobs", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public static JsonObject Job(string type, object? payload = null) =>
        new() { ["type"] = type, ["payload"] = payload is null ? new JsonObject() : JsonSerializer.SerializeToNode(payload) };
}
