using System.Net;
using System.Text.Json.Nodes;
using JobQueue.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>
/// Two tenants, every route: each tenant's jobs, results, DLQ entries, stats, keys and usage are invisible and
/// untouchable to the other (404, never 403, so existence does not leak), lists and counts include only the
/// caller's, and purge touches only the caller's. The operator (ADMIN_KEY) sees both.
/// </summary>
[TestFixture]
public sealed class TenantIsolationTests : AccountsFixture
{
    private sealed record Tenant(Account Account, HttpClient Jobs, HttpClient Billing, string Pending, string Completed, string Dead, string DlqEntry);

    private Tenant _a = null!;
    private Tenant _b = null!;

    [OneTimeSetUp]
    public async Task TwoTenantsWithOneOfEverythingAsync()
    {
        _a = await TenantAsync("a");
        _b = await TenantAsync("b");
    }

    /// <summary>A tenant with a pending job, a completed job with a result, and a dead job with its DLQ entry.</summary>
    private async Task<Tenant> TenantAsync(string tag)
    {
        var account = await RegisterAsync();
        var jobs = Client(Jobs, key: account.Key);
        var billing = Client(Billing, key: account.Key);
        var (status, body) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch",
            $$$"""[{"type":"noop","tags":{"t":"{{{tag}}}"},"scheduled_at":"2099-01-01T00:00:00Z"},{"type":"echo","tags":{"t":"{{{tag}}}"}},{"type":"fail","tags":{"t":"{{{tag}}}"},"max_attempts":1}]""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var ids = body["data"]!.AsArray().Select(j => Guid.Parse(j!["id"]!.GetValue<string>())).ToArray();

        // No worker runs in this process: play its part through the store (claim, then complete / kill).
        var store = Jobs.Services.GetRequiredService<PostgresJobStore>();
        var now = DateTime.UtcNow;
        var claimed = await store.JobsClaimAsync(new JobsClaimParams([ids[1], ids[2]], "test-worker", now, now.AddMinutes(1)), Ct);
        Assert.That(claimed, Has.Count.EqualTo(2));
        await store.JobsCompleteManyAsync([new JobCompletion(ids[1], 1, $$"""{"secret":"of tenant {{tag}}"}""")], "test-worker", now, Ct);
        var entry = await store.JobsKillAsync(new JobsKillParams(ids[2], 1, "test-worker", "boom", now, TimeSpan.FromDays(1)), Ct);
        Assert.That(entry, Is.Not.Null);
        return new Tenant(account, jobs, billing, ids[0].ToString(), ids[1].ToString(), ids[2].ToString(), entry!.Value.ToString());
    }

    private static List<string> Ids(JsonNode body, string? path = null) =>
        (path is null ? body["data"]! : body["data"]![path]!).AsArray().Select(j => j!["id"]!.GetValue<string>()).ToList();

    [Test]
    public async Task AnotherTenantsJob_Answers404_OnEveryJobRoute()
    {
        foreach (var (method, url) in new[]
                 {
                     (HttpMethod.Get, $"/api/v1/jobs/{_a.Pending}"),
                     (HttpMethod.Get, $"/api/v1/jobs/{_a.Completed}"),
                     (HttpMethod.Get, $"/api/v1/jobs/{_a.Completed}/result"),
                     (HttpMethod.Delete, $"/api/v1/jobs/{_a.Pending}"),
                     (HttpMethod.Post, $"/api/v1/jobs/{_a.Dead}/retry"),
                     (HttpMethod.Post, $"/api/v1/dlq/{_a.DlqEntry}/requeue"),
                 })
        {
            var (status, body) = await SendAsync(_b.Jobs, method, url);
            Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), $"{method} {url} as tenant B: {body.ToJsonString()}");
        }

        // Nothing B tried changed A's jobs.
        var (_, pending) = await SendAsync(_a.Jobs, HttpMethod.Get, $"/api/v1/jobs/{_a.Pending}");
        var (_, dead) = await SendAsync(_a.Jobs, HttpMethod.Get, $"/api/v1/jobs/{_a.Dead}");
        var (_, dlq) = await SendAsync(_a.Jobs, HttpMethod.Get, "/api/v1/dlq?include_requeued=true");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pending["data"]!["status"]!.GetValue<string>(), Is.EqualTo("pending"));
            Assert.That(dead["data"]!["status"]!.GetValue<string>(), Is.EqualTo("dead"));
            Assert.That(dlq["data"]!.AsArray().Single()!["requeued"]!.GetValue<bool>(), Is.False);
        }
    }

    [Test]
    public async Task ListsCursorsTagsDlqAndStats_ShowOnlyTheCallersOwn()
    {
        var mine = new[] { _b.Pending, _b.Completed, _b.Dead };
        var (_, list) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/jobs?limit=100");
        var (_, byTag) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/jobs?tags=t:a");
        var (_, cursor) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/jobs/cursor?limit=100");
        var (_, cursorByTag) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/jobs/cursor?tags=t:a");
        var (_, dlq) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/dlq?include_requeued=true");
        var (_, stats) = await SendAsync(_b.Jobs, HttpMethod.Get, "/api/v1/stats");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Ids(list), Is.EquivalentTo(mine));
            Assert.That(list["meta"]!["total_count"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(Ids(byTag), Is.Empty, "A's tag finds nothing for B");
            Assert.That(Ids(cursor, "items"), Is.EquivalentTo(mine));
            Assert.That(Ids(cursorByTag, "items"), Is.Empty);
            Assert.That(Ids(dlq), Is.EqualTo(new[] { _b.DlqEntry }));
            Assert.That(stats["data"]!["total_jobs"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(stats["data"]!["dead"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(stats["data"]!["dlq_count"]!.GetValue<long>(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task KeysAndUsage_AreTheCallersOwn()
    {
        var (_, keys) = await SendAsync(_b.Billing, HttpMethod.Get, "/api/v1/keys");
        var (deleteStatus, _) = await SendAsync(_b.Billing, HttpMethod.Delete, $"/api/v1/keys/{_a.Account.KeyId}");
        var (_, usage) = await SendAsync(_b.Billing, HttpMethod.Get, "/api/v1/usage");
        var (stillWorks, _) = await SendAsync(_a.Jobs, HttpMethod.Get, "/api/v1/stats");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Ids(keys), Is.EqualTo(new[] { _b.Account.KeyId.ToString() }));
            Assert.That(deleteStatus, Is.EqualTo(HttpStatusCode.NotFound), "B cannot delete A's key");
            Assert.That(stillWorks, Is.EqualTo(HttpStatusCode.OK), "A's key still works");
            Assert.That(usage["data"]!["jobs_used"]!.GetValue<long>(), Is.EqualTo(3), "B's usage counts B's three jobs only");
        }
    }

    [Test]
    public async Task TheOperatorSeesEveryTenant()
    {
        var admin = Client(Jobs, key: AdminKey);
        var (status, list) = await SendAsync(admin, HttpMethod.Get, "/api/v1/jobs?limit=100");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), list.ToJsonString());
        Assert.That(Ids(list), Is.SupersetOf(new[] { _a.Pending, _b.Pending }));
        // The result is the stored JSON itself, not an envelope.
        using var result = await admin.GetAsync($"/api/v1/jobs/{_a.Completed}/result", Ct);
        Assert.That(result.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await result.Content.ReadAsStringAsync(Ct), Does.Contain("of tenant a"));
    }

    [Test]
    public async Task Purge_TouchesOnlyTheCallersJobs()
    {
        // Tenants of its own, so the shared ones keep their jobs for the other tests (which run in any order).
        var c = await TenantAsync("c");
        var d = await TenantAsync("d");
        var (status, body) = await SendAsync(d.Jobs, HttpMethod.Delete, "/api/v1/jobs?before=2100-01-01T00:00:00Z");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var (cCompleted, _) = await SendAsync(c.Jobs, HttpMethod.Get, $"/api/v1/jobs/{c.Completed}");
        var (dCompleted, _) = await SendAsync(d.Jobs, HttpMethod.Get, $"/api/v1/jobs/{d.Completed}");
        var (dPending, _) = await SendAsync(d.Jobs, HttpMethod.Get, $"/api/v1/jobs/{d.Pending}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(body["data"]!["deleted"]!.GetValue<long>(), Is.EqualTo(2), "D's completed and dead jobs");
            Assert.That(cCompleted, Is.EqualTo(HttpStatusCode.OK), "C's terminal job survives D's purge");
            Assert.That(dCompleted, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(dPending, Is.EqualTo(HttpStatusCode.OK), "purge removes terminal jobs only");
        }
    }
}
