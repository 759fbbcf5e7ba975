using System.Net;
using Dapper;
using JobQueue.Core.Accounts;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>
/// Monthly usage metering through the HTTP surface: counted per job (a batch of 300 counts 300), for key and login
/// token callers alike, never for a refused request, and enforced atomically under concurrency.
/// </summary>
[TestFixture]
public sealed class UsageMeteringTests : AccountsFixture
{
    private async Task<long> UsedAsync(Guid keyId)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<long>(
            "SELECT COALESCE((SELECT jobs_used FROM key_usage WHERE api_key_id = @k AND period = @p), 0)",
            new { k = keyId, p = UsagePeriod.Of(DateTimeOffset.UtcNow) });
    }

    private async Task SetUsedAsync(Guid keyId, long used)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            """
            INSERT INTO key_usage (api_key_id, period, jobs_used) VALUES (@k, @p, @u)
            ON CONFLICT (api_key_id, period) DO UPDATE SET jobs_used = EXCLUDED.jobs_used
            """,
            new { k = keyId, p = UsagePeriod.Of(DateTimeOffset.UtcNow), u = used });
    }

    private static string Batch(int n) => "[" + string.Join(",", Enumerable.Repeat("""{"type":"noop"}""", n)) + "]";

    [Test]
    public async Task ABatchCountsEveryJob_AndTheUsageRouteShowsIt()
    {
        var account = await RegisterAsync();
        var jobs = Client(Jobs, key: account.Key);
        var (status, body) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(300));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(300));

        var (usageStatus, usage) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Get, "/api/v1/usage");
        Assert.That(usageStatus, Is.EqualTo(HttpStatusCode.OK), usage.ToJsonString());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(usage["data"]!["jobs_used"]!.GetValue<long>(), Is.EqualTo(300));
            Assert.That(usage["data"]!["jobs_limit"]!.GetValue<long>(), Is.EqualTo(1000));
            Assert.That(usage["data"]!["tier"]!.GetValue<string>(), Is.EqualTo("free"));
        }
    }

    [Test]
    public async Task LoginTokenEnqueuesAreMetered_AndRefusedRequestsCountNothing()
    {
        var account = await RegisterAsync();
        var byToken = Client(Jobs, bearer: account.Token);
        await EnqueueAsync(byToken);
        Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(1), "a login-token enqueue counts against the account's primary key");

        var (invalid, _) = await SendAsync(byToken, HttpMethod.Post, "/api/v1/jobs", """{"type":"noop","priority":42}""");
        var (malformed, _) = await SendAsync(byToken, HttpMethod.Post, "/api/v1/jobs/batch", """[{"type":"noop"},{"priority":1}]""");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(invalid, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(malformed, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(1), "rejected enqueues do not count");
        }
    }

    [Test]
    public async Task OverTheLimit_Is429NamingTheTierAndReset_AndNothingIsAccepted()
    {
        var account = await RegisterAsync();
        await SetUsedAsync(account.KeyId, 995);
        var jobs = Client(Jobs, key: account.Key);

        using var response = await jobs.PostAsync("/api/v1/jobs/batch", Json(Batch(6)), Ct);
        var body = await Envelope.ReadAsync(response);
        var error = Envelope.Error(body) ?? "";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), body.ToJsonString());
            Assert.That(error, Does.Contain("free").And.Contain("1000").And.Contain(UsagePeriod.ResetAt(DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd")));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
            Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(995), "a refused batch counts nothing");
            Assert.That(await JobIdsAsync(jobs), Is.Empty, "a refused batch inserts nothing");
        }

        var (fits, fitsBody) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(5));
        Assert.That(fits, Is.EqualTo(HttpStatusCode.Created), fitsBody.ToJsonString());
        Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(1000));
    }

    [Test]
    public async Task AThousandConcurrentEnqueues_AgainstTenLeft_AcceptExactlyTen()
    {
        var account = await RegisterAsync();
        await SetUsedAsync(account.KeyId, 990);
        var jobs = Client(Jobs, key: account.Key);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await jobs.PostAsync("/api/v1/jobs", Json("""{"type":"noop"}"""), Ct);
            return response.StatusCode;
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Count(s => s == HttpStatusCode.Created), Is.EqualTo(10));
            Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.EqualTo(990));
            Assert.That(await UsedAsync(account.KeyId), Is.EqualTo(1000));
            Assert.That(await JobIdsAsync(jobs), Has.Count.EqualTo(10), "exactly the accepted jobs exist");
        }
    }

    [Test]
    public async Task TheStaticKeyIsNotMetered()
    {
        var jobs = Client(Jobs, key: StaticKey);
        var (status, body) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(3));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        await using var conn = await Db.OpenConnectionAsync(Ct);
        Assert.That(await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs j WHERE j.owner = 'default' AND j.api_key_id IS NOT NULL"), Is.Zero);
    }
}
