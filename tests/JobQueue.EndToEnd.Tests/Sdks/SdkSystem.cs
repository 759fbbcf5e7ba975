using System.Globalization;
using JobQueue.Core.Configuration;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// One system for the SDKs' own suites, with the rate limits a user gets (100 requests a second per key with a burst
/// of 20, /auth at 1 a second with a burst of 5): the SDKs wait out a 429's Retry-After, and their suites prove it
/// against the real limiter. The shared system of the C# fixtures turns the limits off (those fixtures hammer one key
/// from one address), so the SDKs cannot share it; a second system costs about 45 s of the run.
/// </summary>
[SetUpFixture]
public sealed class SdkSystem
{
    private static SystemUnderTest? _system;

    /// <summary>The operator's key (ADMIN_KEY): it sees every tenant.</summary>
    public const string AdminKey = "sdk-e2e-admin-key";

    public static SystemUnderTest System => _system ?? throw new InvalidOperationException("The SDK system has not started.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var environment = Api.FastEnvironment();
        environment["ADMIN_KEY"] = AdminKey;
        var defaults = new JobQueueSettings();
        environment["RATE_LIMIT_RPS"] = defaults.RateLimitRps.ToString(CultureInfo.InvariantCulture);
        _system = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 2, Environment = environment });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }
}
