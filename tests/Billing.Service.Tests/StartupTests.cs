extern alias JobsApi;

using System.Net;
using JobQueue.Testing;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary>What a service refuses to start with, and when it is open without credentials.</summary>
[Parallelizable(ParallelScope.None)]
public sealed class StartupTests
{
    private static Dictionary<string, string?> Settings(string? jwtSecret, string? apiKey = null, string? allowAnonymous = null) => new()
    {
        // Never contacted: the secret is checked before anything connects.
        ["ConnectionStrings:postgres"] = TestInfrastructure.PostgresConnectionString,
        ["ConnectionStrings:redis"] = TestInfrastructure.RedisConnectionString,
        ["REDIS_PREFIX"] = TestRedisPrefix.New(),
        ["JWT_SECRET"] = jwtSecret,
        ["API_KEY"] = apiKey,
        ["ADMIN_KEY"] = null,
        ["AUTH_ALLOW_ANONYMOUS"] = allowAnonymous,
    };

    [TestCase(null, "JWT_SECRET is not set")]
    [TestCase("change-me-in-production", "JWT_SECRET is 'change-me-in-production', a published default")]
    [TestCase("too-short-secret", "JWT_SECRET is 16 bytes long: it must be at least 32 bytes")]
    public void Billing_FailsToStart_OutsideDevelopment_WithAnUnusableJwtSecret(string? secret, string message)
    {
        using var factory = new ServiceFactory<Program>("Production", Settings(secret));
        var e = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());
        Assert.That(e!.Message, Does.StartWith(message));
    }

    [Test]
    public void JobsApi_FailsToStart_OutsideDevelopment_WithoutAJwtSecret()
    {
        using var factory = new ServiceFactory<JobsApi::Program>("Production", Settings(null));
        var e = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());
        Assert.That(e!.Message, Does.StartWith("JWT_SECRET is not set"));
    }

    [Test]
    public void JobsApi_FailsToStart_InDevelopmentToo_WithTheKnownDefaultSecret()
    {
        using var factory = new ServiceFactory<JobsApi::Program>("Development", Settings("change-me-in-production"));
        var e = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());
        Assert.That(e!.Message, Does.Contain("published default"));
    }

    [TestCase("Production", null, HttpStatusCode.Unauthorized)]
    [TestCase("Production", "true", HttpStatusCode.OK)]
    [TestCase("Development", null, HttpStatusCode.OK)]
    public async Task WithNoKeyConfigured_ARequestWithoutCredentials_IsOpenOnlyInDevelopmentOrWhenAllowed(string environment, string? allowAnonymous, HttpStatusCode expected)
    {
        var database = await TestSchema.CreateMigratedAsync();
        try
        {
            var settings = Settings(AccountsFixture.NewJwtSecret(), allowAnonymous: allowAnonymous);
            settings["ConnectionStrings:postgres"] = database;
            await using var factory = new ServiceFactory<JobsApi::Program>(environment, settings);
            using var client = factory.CreateClient(apiKey: null);

            using var response = await client.GetAsync("/api/v1/jobs");
            var body = await Envelope.ReadAsync(response);

            Assert.That(response.StatusCode, Is.EqualTo(expected), body.ToJsonString());
            using var wrongKey = factory.CreateClient("some-key");
            using var refused = await wrongKey.GetAsync("/api/v1/jobs");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "presented credentials must be valid even in open mode");
        }
        finally
        {
            await TestSchema.DropAsync(database);
        }
    }
}
