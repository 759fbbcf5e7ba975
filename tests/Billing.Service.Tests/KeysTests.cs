using System.Net;
using Dapper;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace Billing.Service.Tests;

public sealed class KeysTests : AccountsFixture
{
    [Test]
    public async Task Keys_CreateListDelete_AreScopedToTheCallersUser()
    {
        var alice = await RegisterAsync();
        var bob = await RegisterAsync();
        var asAlice = Client(Billing, key: alice.Key);
        var asBob = Client(Billing, bearer: bob.Token);

        var (created, body) = await SendAsync(asAlice, HttpMethod.Post, "/api/v1/keys", """{"name":"ci"}""");
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var second = body["data"]!;
        Assert.That((second["name"]!.GetValue<string>(), second["tier"]!.GetValue<string>()), Is.EqualTo(("ci", "free")));
        Assert.That(second["warning"]!.GetValue<string>(), Does.Contain("only once"));

        var aliceKeys = (await SendAsync(asAlice, HttpMethod.Get, "/api/v1/keys")).Body["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>());
        var bobKeys = (await SendAsync(asBob, HttpMethod.Get, "/api/v1/keys")).Body["data"]!.AsArray().Select(k => k!["id"]!.GetValue<string>());
        Assert.That(aliceKeys, Is.EqualTo(new[] { alice.KeyId.ToString(), second["id"]!.GetValue<string>() }));
        Assert.That(bobKeys, Is.EqualTo(new[] { bob.KeyId.ToString() }));

        var (bobDeletes, bobBody) = await SendAsync(asBob, HttpMethod.Delete, $"/api/v1/keys/{alice.KeyId}");
        Assert.That(bobDeletes, Is.EqualTo(HttpStatusCode.NotFound), bobBody.ToJsonString());
        Assert.That((await SendAsync(Client(Jobs, key: alice.Key), HttpMethod.Get, "/api/v1/jobs")).Status, Is.EqualTo(HttpStatusCode.OK));

        var (deleted, deletedBody) = await SendAsync(asAlice, HttpMethod.Delete, $"/api/v1/keys/{second["id"]!.GetValue<string>()}");
        Assert.That(deleted, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(deletedBody["data"]!["status"]!.GetValue<string>(), Is.EqualTo("deleted"));
        Assert.That((await SendAsync(asAlice, HttpMethod.Get, "/api/v1/keys")).Body["data"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task CreateKey_AcceptsATierNotAboveTheAccounts_RefusesAHigherOne_AndGivesTheAccountsTier()
    {
        var account = await RegisterAsync();
        var client = Client(Billing, bearer: account.Token);

        // The original's Python SDK always sends "tier": "free": a free account's key accepts it.
        var (free, freeBody) = await SendAsync(client, HttpMethod.Post, "/api/v1/keys", """{"name":"py","tier":"free"}""");
        Assert.That((free, freeBody["data"]!["tier"]!.GetValue<string>()), Is.EqualTo((HttpStatusCode.Created, "free")), freeBody.ToJsonString());

        var (refused, refusedBody) = await SendAsync(client, HttpMethod.Post, "/api/v1/keys", """{"name":"x","tier":"business"}""");
        Assert.That(refused, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(Envelope.Error(refusedBody), Does.StartWith("the account is on the free tier: a key cannot have the business tier"));

        var (unknown, unknownBody) = await SendAsync(client, HttpMethod.Post, "/api/v1/keys", """{"name":"x","tier":"gold"}""");
        Assert.That((unknown, Envelope.Error(unknownBody)), Is.EqualTo((HttpStatusCode.UnprocessableEntity, (string?)"'tier' must be one of free, pro, business, got 'gold'")));

        await using (var conn = await Db.OpenConnectionAsync(Ct))
        {
            await conn.ExecuteAsync("UPDATE api_keys SET tier = 'pro' WHERE id = @id", new { id = account.KeyId });
        }

        // A pro account asking for a free key still gets the account's tier: the plan is the account's.
        var (created, body) = await SendAsync(client, HttpMethod.Post, "/api/v1/keys", """{"name":"second","tier":"free"}""");
        Assert.That(created, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((body["data"]!["tier"]!.GetValue<string>(), body["data"]!["jobs_limit"]!.GetValue<long>()), Is.EqualTo(("pro", 100_000L)));
    }

    [TestCase("""{"name":""}""", HttpStatusCode.UnprocessableEntity, "'name' must not be empty")]
    [TestCase("""{"label":"x"}""", HttpStatusCode.BadRequest, "unknown field 'label'")]
    public async Task CreateKey_RefusesBadInput(string json, HttpStatusCode expected, string message)
    {
        var account = await RegisterAsync();
        var (status, body) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Post, "/api/v1/keys", json);
        Assert.That((status, Envelope.Error(body)), Is.EqualTo((expected, (string?)message)));
    }

    [Test]
    public async Task DeletedKey_Answers401OnJobsApi_WithinMoments_ThoughJobsApiHadItCached()
    {
        var account = await RegisterAsync();
        var (_, body) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Post, "/api/v1/keys", """{"name":"doomed"}""");
        var doomedKey = body["data"]!["key"]!.GetValue<string>();
        var jobs = Client(Jobs, key: doomedKey);
        await EnqueueAsync(jobs); // Jobs.Api now holds the key in its 30 s cache

        var (deleted, _) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Delete, $"/api/v1/keys/{body["data"]!["id"]!.GetValue<string>()}");
        Assert.That(deleted, Is.EqualTo(HttpStatusCode.OK));

        // Pub/sub delivery to the other service takes a moment; far less than the 30 s the cache would otherwise keep it.
        var started = DateTime.UtcNow;
        await JobQueue.Testing.Polling.WaitUntil(async () => (await SendAsync(jobs, HttpMethod.Get, "/api/v1/jobs")).Status == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(3), "the deleted key is refused by Jobs.Api", Ct);
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(3)));
        var (status, refused) = await SendAsync(jobs, HttpMethod.Post, "/api/v1/jobs", """{"type":"noop"}""");
        Assert.That((status, Envelope.Error(refused)), Is.EqualTo((HttpStatusCode.Unauthorized, (string?)"invalid API key")));
        Assert.That((await SendAsync(Client(Jobs, key: account.Key), HttpMethod.Get, "/api/v1/jobs")).Status, Is.EqualTo(HttpStatusCode.OK), "the user's other key still works");
    }

    [Test]
    public async Task LoginTokenAndEveryKeyOfOneUser_SeeTheSameJobs_AndOnlyThose()
    {
        var alice = await RegisterAsync();
        var bob = await RegisterAsync();
        var (_, body) = await SendAsync(Client(Billing, bearer: alice.Token), HttpMethod.Post, "/api/v1/keys", """{"name":"second"}""");
        var aliceSecondKey = body["data"]!["key"]!.GetValue<string>();

        var byKey = await EnqueueAsync(Client(Jobs, key: alice.Key));
        var byToken = await EnqueueAsync(Client(Jobs, bearer: alice.Token));
        var bobs = await EnqueueAsync(Client(Jobs, key: bob.Key));

        foreach (var client in new[] { Client(Jobs, key: alice.Key), Client(Jobs, bearer: alice.Token), Client(Jobs, key: aliceSecondKey) })
        {
            Assert.That(await JobIdsAsync(client), Is.EquivalentTo(new[] { byKey, byToken }));
        }

        Assert.That(await JobIdsAsync(Client(Jobs, bearer: bob.Token)), Is.EqualTo(new[] { bobs }));
        var (status, _) = await SendAsync(Client(Jobs, key: bob.Key), HttpMethod.Get, $"/api/v1/jobs/{byKey}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));

        // The job records the key it came in with; a login token stands for the primary (oldest enabled) key.
        var job = (await SendAsync(Client(Jobs, key: alice.Key), HttpMethod.Get, $"/api/v1/jobs/{byToken}")).Body["data"]!;
        Assert.That(job["api_key_id"]!.GetValue<string>(), Is.EqualTo(alice.KeyId.ToString()));
    }

    [Test]
    public async Task Usage_ReportsThisMonthsCountOfTheAccount_AndTheKeyUsed()
    {
        var account = await RegisterAsync();
        await new UsageMeter(Db).TryConsumeAsync(account.UserId, 1000, 250, DateTimeOffset.UtcNow, Ct);

        var (status, body) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Get, "/api/v1/usage");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var u = body["data"]!;
        Assert.That(u["tier"]!.GetValue<string>(), Is.EqualTo("free"));
        Assert.That(u["jobs_used"]!.GetValue<long>(), Is.EqualTo(250));
        Assert.That(u["jobs_limit"]!.GetValue<long>(), Is.EqualTo(1000));
        Assert.That(u["usage_percent"]!.GetValue<double>(), Is.EqualTo(25.0));
        Assert.That(u["limit_reached"]!.GetValue<bool>(), Is.False);
        Assert.That(u["reset_at"]!.GetValue<DateTimeOffset>().Day, Is.EqualTo(1));
        Assert.That(u["key_id"]!.GetValue<string>(), Is.EqualTo(account.KeyId.ToString()));
    }

    [Test]
    public async Task KeyRoutes_Answer403_ForTheStaticKey_AndPortal401_ForAKey()
    {
        var account = await RegisterAsync();

        var (keysStatus, keysBody) = await SendAsync(Client(Billing, key: StaticKey), HttpMethod.Get, "/api/v1/keys");
        var (portalStatus, portalBody) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Get, "/portal/usage");
        var (anonymous, _) = await SendAsync(Client(Billing), HttpMethod.Get, "/api/v1/keys");

        Assert.That((keysStatus, portalStatus, anonymous), Is.EqualTo((HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(Envelope.Error(keysBody), Does.StartWith("this needs an account"));
        Assert.That(Envelope.Error(portalBody), Does.StartWith("the portal needs a login token"));
    }

    [Test]
    public async Task PortalUsage_ReportsThePrimaryKey()
    {
        var account = await RegisterAsync();
        await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/api/v1/keys", """{"name":"newer"}""");

        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/portal/usage");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That(body["data"]!["key_id"]!.GetValue<string>(), Is.EqualTo(account.KeyId.ToString()));
        Assert.That(body["data"]!["key_prefix"]!.GetValue<string>(), Is.EqualTo(account.Key[..8]));
    }

    [Test]
    public async Task RegenerateKey_DisablesThePrimaryKeyEverywhere_AndReturnsItsReplacementOnce()
    {
        var account = await RegisterAsync();
        var oldKeyOnJobs = Client(Jobs, key: account.Key);
        await EnqueueAsync(oldKeyOnJobs);
        await new UsageMeter(Db).TryConsumeAsync(account.UserId, 1000, 40, DateTimeOffset.UtcNow, Ct);

        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/regenerate-key");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var newKey = body["data"]!["key"]!.GetValue<string>();
        Assert.That(newKey, Does.Match("^qly_[0-9a-f]{32}$").And.Not.EqualTo(account.Key));
        await JobQueue.Testing.Polling.WaitUntil(async () => (await SendAsync(oldKeyOnJobs, HttpMethod.Get, "/api/v1/jobs")).Status == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(3), "the replaced key is refused by Jobs.Api", Ct);
        var newKeyOnJobs = Client(Jobs, key: newKey);
        Assert.That(await JobIdsAsync(newKeyOnJobs), Has.Count.EqualTo(1), "the new key sees the account's jobs");
        var usage = await SendAsync(Client(Billing, key: newKey), HttpMethod.Get, "/api/v1/usage");
        Assert.That(usage.Body["data"]!["jobs_used"]!.GetValue<long>(), Is.EqualTo(41), "regenerating does not reset the month's count (1 enqueued + 40)");
        var keys = (await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/api/v1/keys")).Body["data"]!.AsArray();
        Assert.That(keys.Select(k => (k!["key_prefix"]!.GetValue<string>(), k["enabled"]!.GetValue<bool>())),
            Is.EquivalentTo(new[] { (account.Key[..8], false), (newKey[..8], true) }));
        var portal = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/portal/usage");
        Assert.That(portal.Body["data"]!["key_prefix"]!.GetValue<string>(), Is.EqualTo(newKey[..8]), "the login token now stands for the new key");
    }
}
