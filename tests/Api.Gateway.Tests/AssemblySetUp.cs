using JobQueue.Testing;

namespace Api.Gateway.Tests;

/// <summary>Real Postgres and Redis for the /metrics tests, started once for the assembly.</summary>
[SetUpFixture]
public sealed class AssemblySetUp : TestInfrastructureSetUp;
