using System.Net;
using Dapper;
using JobQueue.Core.Accounts;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>
/// Monthly usage metering through the HTTP surface: counted per job (a batch of 300 counts 300) against the account,
/// for all its keys and login tokens together, never for a refused request, and enforced atomically under concurrency.
/// </summary>
[TestFixture]
public sealed class UsageMeteringTests : AccountsFixture
{
    private async Task<long> UsedAsync(Account account)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<long>(
            "SELECT COALESCE((SELECT jobs_used FROM account_usage WHERE user_id = @u AND period = @p), 0)",
            new { u = account.UserId, p = UsagePeriod.Of(DateTimeOffset.UtcNow) });
    }

    private async Task SetUsedAsync(Account account, long used)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            """
            INSERT INTO account_usage (user_id, period, jobs_used) VALUES (@u, @p, @n)
            ON CONFLICT (user_id, period) DO UPDATE SET jobs_used = EXCLUDED.jobs_used
            """,
            new { u = account.UserId, p = UsagePeriod.Of(DateTimeOffset.UtcNow), n = used });
    }

    private async Task<long> JobsOfAsync(Account account)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        return await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs WHERE owner = @owner", new { owner = account.UserId.ToString("D") });
    }

    private async Task<string> CreateKeyAsync(Account account, string name)
    {
        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/api/v1/keys", $$"""{"name":"{{name}}"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        return body["data"]!["key"]!.GetValue<string>();
    }

    private async Task<long> UsageRouteAsync(HttpClient billing, string path = "/api/v1/usage")
    {
        var (status, body) = await SendAsync(billing, HttpMethod.Get, path);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return body["data"]!["jobs_used"]!.GetValue<long>();
    }

    private static string Batch(int n) => "[" + string.Join(",", Enumerable.Repeat("""{"type":"noop"}""", n)) + "]";

    [Test]
    public async Task ABatchCountsEveryJob_AndTheUsageRouteShowsIt()
    {
        var account = await RegisterAsync();
        var jobs = Client(Jobs, key: account.Key);
        var (status, body) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(300));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        Assert.That(await UsedAsync(account), Is.EqualTo(300));

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
        Assert.That(await UsedAsync(account), Is.EqualTo(1), "a login-token enqueue counts against the account");

        var (invalid, _) = await SendAsync(byToken, HttpMethod.Post, "/api/v1/jobs", """{"type":"noop","priority":42}""");
        var (malformed, _) = await SendAsync(byToken, HttpMethod.Post, "/api/v1/jobs/batch", """[{"type":"noop"},{"priority":1}]""");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(invalid, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(malformed, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(await UsedAsync(account), Is.EqualTo(1), "rejected enqueues do not count");
        }
    }

    [Test]
    public async Task OverTheLimit_Is429NamingTheTierAndReset_AndNothingIsAccepted()
    {
        var account = await RegisterAsync();
        await SetUsedAsync(account, 995);
        var jobs = Client(Jobs, key: account.Key);

        using var response = await jobs.PostAsync("/api/v1/jobs/batch", Json(Batch(6)), Ct);
        var body = await Envelope.ReadAsync(response);
        var error = Envelope.Error(body) ?? "";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), body.ToJsonString());
            Assert.That(error, Does.Contain("free").And.Contain("1000").And.Contain(UsagePeriod.ResetAt(DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd")));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
            Assert.That(await UsedAsync(account), Is.EqualTo(995), "a refused batch counts nothing");
            Assert.That(await JobIdsAsync(jobs), Is.Empty, "a refused batch inserts nothing");
        }

        var (fits, fitsBody) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(5));
        Assert.That(fits, Is.EqualTo(HttpStatusCode.Created), fitsBody.ToJsonString());
        Assert.That(await UsedAsync(account), Is.EqualTo(1000));
    }

    [Test]
    public async Task AThousandConcurrentEnqueues_AgainstTenLeft_AcceptExactlyTen()
    {
        var account = await RegisterAsync();
        await SetUsedAsync(account, 990);
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
            Assert.That(await UsedAsync(account), Is.EqualTo(1000));
            Assert.That(await JobIdsAsync(jobs), Has.Count.EqualTo(10), "exactly the accepted jobs exist");
        }
    }

    [Test]
    public async Task TwoKeysOfOneFreeAccount_TogetherGetExactly1000JobsAMonth()
    {
        var account = await RegisterAsync();
        var second = await CreateKeyAsync(account, "second");
        var clients = new[] { Client(Jobs, key: account.Key), Client(Jobs, key: second) };

        // 2,000 jobs offered in batches of 100, both keys at once: the account's 1,000 fit, whichever key sends them.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var response = await clients[i % 2].PostAsync("/api/v1/jobs/batch", Json(Batch(100)), Ct);
            return response.StatusCode;
        }));
        var (byToken, _) = await SendAsync(Client(Jobs, bearer: account.Token), HttpMethod.Post, "/api/v1/jobs", """{"type":"noop"}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Count(s => s == HttpStatusCode.Created), Is.EqualTo(10), "10 batches of 100 accepted");
            Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.EqualTo(10));
            Assert.That(byToken, Is.EqualTo(HttpStatusCode.TooManyRequests), "a login token takes from the same allowance");
            Assert.That(await JobsOfAsync(account), Is.EqualTo(1000), "exactly 1,000 jobs exist");
            Assert.That(await UsageRouteAsync(Client(Billing, key: account.Key)), Is.EqualTo(1000));
            Assert.That(await UsageRouteAsync(Client(Billing, key: second)), Is.EqualTo(1000), "every key shows the account's figure");
            Assert.That(await UsageRouteAsync(Client(Billing, bearer: account.Token), "/portal/usage"), Is.EqualTo(1000));
        }
    }

    [Test]
    public async Task DeletingAUsedKey_DoesNotGiveItsJobsBack()
    {
        var account = await RegisterAsync();
        var second = await CreateKeyAsync(account, "spent");
        var (status, body) = await SendAsync(Client(Jobs, key: second), HttpMethod.Post, "/api/v1/jobs/batch", Batch(400));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var keys = (await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/api/v1/keys")).Body["data"]!.AsArray();
        var secondId = keys.Single(k => k!["name"]!.GetValue<string>() == "spent")!["id"]!.GetValue<string>();

        var (deleted, _) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Delete, $"/api/v1/keys/{secondId}");

        Assert.That(deleted, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await UsageRouteAsync(Client(Billing, key: account.Key)), Is.EqualTo(400));
        var jobs = Client(Jobs, key: account.Key);
        var (fits, _) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(500));
        var (over, _) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs/batch", Batch(101));
        Assert.That((fits, over), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.TooManyRequests)), "600 were left, not 1,000");
    }

    [Test]
    public async Task ALoginToken_IsMetered_WhenTheAccountHasNoKeyLeft()
    {
        var account = await RegisterAsync();
        var (deleted, _) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Delete, $"/api/v1/keys/{account.KeyId}");
        Assert.That(deleted, Is.EqualTo(HttpStatusCode.OK));
        await SetUsedAsync(account, 999);
        var byToken = Client(Jobs, bearer: account.Token);

        await EnqueueAsync(byToken);
        var (over, body) = await SendAsync(byToken, HttpMethod.Post, "/api/v1/jobs", """{"type":"noop"}""");

        Assert.That(over, Is.EqualTo(HttpStatusCode.TooManyRequests), body.ToJsonString());
        Assert.That(await UsedAsync(account), Is.EqualTo(1000));
        var (usageStatus, usage) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/portal/usage");
        Assert.That(usageStatus, Is.EqualTo(HttpStatusCode.OK), usage.ToJsonString());
        Assert.That((usage["data"]!["tier"]!.GetValue<string>(), usage["data"]!["jobs_used"]!.GetValue<long>()), Is.EqualTo(("free", 1000L)));
        Assert.That(usage["data"]!["key_id"], Is.Null);
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
