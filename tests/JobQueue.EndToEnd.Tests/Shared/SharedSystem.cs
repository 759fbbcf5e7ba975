using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// One system for every fixture in this namespace: they need nothing but two workers and the fast retry and lease
/// settings, and none stops, kills or floods a part of it. Each fixture once started its own, and a start and stop
/// of the whole system costs about 45 s of the end-to-end run; NUnit runs the fixtures under this set-up fixture
/// together and stops the system after the last. Fixtures that break something (FaultTests, SchedulerLeaderTests) or
/// need other settings keep a system of their own.
/// </summary>
[SetUpFixture]
public sealed class SharedSystem
{
    private static SystemUnderTest? _system;

    /// <summary>The operator's key (ADMIN_KEY) of the shared system: it sees every tenant.</summary>
    public const string AdminKey = "shared-e2e-admin-key";

    public static SystemUnderTest System => _system ?? throw new InvalidOperationException("The shared system has not started.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var environment = Api.FastEnvironment();
        environment["ADMIN_KEY"] = AdminKey;
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
