using JobQueue.Testing;
using NUnit.Framework;

// Fixtures run in parallel: each starts its own dispatcher on its own database and Redis key prefix.
[assembly: Parallelizable(ParallelScope.Fixtures)]

namespace Webhook.Dispatcher.Tests;

/// <summary>Real Postgres and Redis, started once for the assembly.</summary>
[SetUpFixture]
public sealed class AssemblySetUp : TestInfrastructureSetUp;
