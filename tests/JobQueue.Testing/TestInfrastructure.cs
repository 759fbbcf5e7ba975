using JobQueue.Testing.Resources;
using Npgsql;

namespace JobQueue.Testing;

/// <summary>
/// One Postgres and one Redis per test assembly, started as processes in a temporary folder (about 0.7 s), unless
/// <c>JOBQUEUE_TEST_POSTGRES</c> (an Npgsql connection string) or <c>JOBQUEUE_TEST_REDIS</c> name servers to use.
/// The throw-away cluster runs with fsync off. Each test class takes its own database
/// (<see cref="TestSchema.CreateAsync"/>) and Redis key prefix (<see cref="TestRedisPrefix.New"/>), so classes run
/// in parallel. Started and stopped by a <c>[SetUpFixture]</c> deriving from <see cref="TestInfrastructureSetUp"/>.
/// </summary>
public static class TestInfrastructure
{
    public const string PostgresVariable = "JOBQUEUE_TEST_POSTGRES";
    public const string RedisVariable = "JOBQUEUE_TEST_REDIS";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static int _users;
    private static string? _directory;
    private static PostgresServer? _postgres;
    private static RedisServer? _redis;
    private static string? _postgresConnectionString;
    private static string? _redisConnectionString;

    /// <summary>A superuser connection string to the server's <c>postgres</c> database.</summary>
    public static string PostgresConnectionString => _postgresConnectionString ?? throw NotStarted();

    /// <summary>A StackExchange.Redis configuration string (<c>127.0.0.1:PORT</c>).</summary>
    public static string RedisConnectionString => _redisConnectionString ?? throw NotStarted();

    /// <summary>True when Postgres comes from <see cref="PostgresVariable"/> rather than our own process.</summary>
    public static bool PostgresIsExternal => _postgres is null && _postgresConnectionString is not null;

    /// <summary>Starts the servers (once; later calls only count users, so several fixtures may call it).</summary>
    public static async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_users++ > 0)
            {
                return;
            }

            try
            {
                await StartServersAsync(cancellationToken);
            }
            catch
            {
                _users = 0;
                await StopServersAsync();
                throw;
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Stops the servers when the last user is done; on external servers, drops the databases the tests made.</summary>
    public static async Task StopAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_users == 0 || --_users > 0)
            {
                return;
            }

            await StopServersAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task StartServersAsync(CancellationToken cancellationToken)
    {
        var externalPostgres = Environment.GetEnvironmentVariable(PostgresVariable);
        var externalRedis = Environment.GetEnvironmentVariable(RedisVariable);
        if (string.IsNullOrEmpty(externalPostgres) || string.IsNullOrEmpty(externalRedis))
        {
            _directory = TestPaths.NewTempDirectory("jobqueue-test");
        }

        var postgres = Task.CompletedTask;
        if (string.IsNullOrEmpty(externalPostgres))
        {
            _postgres = new PostgresServer(new PostgresServerOptions { DataDirectory = Path.Combine(_directory!, "postgres"), Durable = false });
            postgres = _postgres.StartAsync(cancellationToken);
        }

        var redis = Task.CompletedTask;
        if (string.IsNullOrEmpty(externalRedis))
        {
            _redis = new RedisServer(new RedisServerOptions { DataDirectory = Path.Combine(_directory!, "redis") });
            redis = _redis.StartAsync(cancellationToken);
        }

        await Task.WhenAll(postgres, redis);
        _postgresConnectionString = _postgres?.GetConnectionString() ?? new NpgsqlConnectionStringBuilder(externalPostgres) { Database = "postgres" }.ConnectionString;
        _redisConnectionString = _redis?.ConnectionString ?? externalRedis;
    }

    private static async Task StopServersAsync()
    {
        if (PostgresIsExternal)
        {
            await TestSchema.DropAllAsync();
        }

        await Task.WhenAll(_postgres?.StopAsync() ?? Task.CompletedTask, _redis?.StopAsync() ?? Task.CompletedTask);
        TestPaths.DeleteQuietly(_directory);
        (_postgres, _redis, _directory, _postgresConnectionString, _redisConnectionString) = (null, null, null, null, null);
    }

    private static InvalidOperationException NotStarted() =>
        new("The test servers are not started: add a [SetUpFixture] deriving from JobQueue.Testing.TestInfrastructureSetUp to the test assembly.");
}
