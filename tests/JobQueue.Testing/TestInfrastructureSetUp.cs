using NUnit.Framework;

namespace JobQueue.Testing;

/// <summary>
/// Starts <see cref="TestInfrastructure"/> before the first test of the assembly and stops it after the last.
/// In each test project: <c>[SetUpFixture] public sealed class AssemblySetUp : TestInfrastructureSetUp;</c>
/// (in no namespace, or in the root namespace of the tests).
/// </summary>
public abstract class TestInfrastructureSetUp
{
    [OneTimeSetUp]
    public Task StartTestInfrastructureAsync() => TestInfrastructure.StartAsync();

    [OneTimeTearDown]
    public Task StopTestInfrastructureAsync() => TestInfrastructure.StopAsync();
}
