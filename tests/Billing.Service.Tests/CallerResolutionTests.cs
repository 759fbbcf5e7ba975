extern alias JobsApi;

using System.Net;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>Every service authenticates from the request's own credentials: nothing a proxy could add is trusted.</summary>
public sealed class CallerResolutionTests : AccountsFixture
{
    private static readonly string[] ForgedHeaders = ["X-JobQueue-Owner", "X-User-Id", "X-Tenant-Id", "X-Owner", "X-Forwarded-User", "X-Api-Key-Id"];

    private static void Forge(HttpClient client, string tenant)
    {
        foreach (var header in ForgedHeaders)
        {
            client.DefaultRequestHeaders.Add(header, tenant);
        }
    }

    [TestCase(null)]
    [TestCase("qly_00000000000000000000000000000000")]
    [TestCase("not-a-key")]
    public async Task ForgedIdentityHeaders_WithoutAValidKey_Answer401OnJobsApi(string? key)
    {
        var victim = await RegisterAsync();
        await EnqueueAsync(Client(Jobs, key: victim.Key));
        var forger = Client(Jobs, key: key);
        Forge(forger, victim.UserId.ToString());

        var (status, body) = await SendAsync(forger, HttpMethod.Get, "/api/v1/jobs");
        var (postStatus, _) = await SendAsync(forger, HttpMethod.Post, "/api/v1/jobs", """{"type":"noop"}""");

        Assert.That((status, postStatus), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(body["data"], Is.Null);
    }

    [Test]
    public async Task AValidKeyOfTenantA_WithForgedHeadersNamingTenantB_SeesOnlyA()
    {
        var a = await RegisterAsync();
        var b = await RegisterAsync();
        var bJob = await EnqueueAsync(Client(Jobs, key: b.Key));
        var aClient = Client(Jobs, key: a.Key);
        Forge(aClient, b.UserId.ToString());

        var aJob = await EnqueueAsync(aClient);

        Assert.That(await JobIdsAsync(aClient), Is.EqualTo(new[] { aJob }));
        Assert.That((await SendAsync(aClient, HttpMethod.Get, $"/api/v1/jobs/{bJob}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await JobIdsAsync(Client(Jobs, key: b.Key)), Is.EqualTo(new[] { bJob }), "A's job went to A, not to the forged tenant");
    }

    [Test]
    public async Task ALoginTokenSignedWithAnotherSecret_IsRefused()
    {
        var account = await RegisterAsync();
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "jobqueue",
            Audience = "jobqueue",
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = account.UserId.ToString(), ["ver"] = 0 },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(NewJwtSecret())), SecurityAlgorithms.HmacSha256),
        });

        var (status, body) = await SendAsync(Client(Jobs, bearer: forged), HttpMethod.Get, "/api/v1/jobs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Envelope.Error(body), Is.EqualTo("invalid or expired login token"));
    }

    [Test]
    public async Task AnAccountKey_WorksAsABearerToken_AndTheStaticKeyStillWorks()
    {
        var account = await RegisterAsync();
        var bearerKey = Client(Jobs);
        bearerKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", account.Key);

        var byBearer = await EnqueueAsync(bearerKey);

        Assert.That(await JobIdsAsync(Client(Jobs, key: account.Key)), Is.EqualTo(new[] { byBearer }));
        Assert.That(await JobIdsAsync(Client(Jobs, key: StaticKey)), Does.Not.Contain(byBearer), "the static key is the tenant 'default'");
    }
}
