using JobQueue.Testing;
using NUnit.Framework;

// Fixtures run in parallel: each has its own database and Redis key prefix; tests within a fixture run in order.
[assembly: Parallelizable(ParallelScope.Fixtures)]

namespace JobQueue.Storage.Tests;

/// <summary>Real Postgres and Redis, started once for the assembly.</summary>
[SetUpFixture]
public sealed class AssemblySetUp : TestInfrastructureSetUp;
