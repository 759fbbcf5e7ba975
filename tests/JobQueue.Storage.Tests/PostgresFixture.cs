using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using JobQueue.Testing;
using Npgsql;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>A fixture with its own freshly migrated database and a <see cref="PostgresJobStore"/> on it.</summary>
public abstract class PostgresFixture
{
    private string _connectionString = "";

    /// <summary>With the password (NpgsqlDataSource.ConnectionString leaves it out).</summary>
    protected string ConnectionString => _connectionString;

    protected NpgsqlDataSource DataSource { get; private set; } = null!;

    protected PostgresJobStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        _connectionString = await TestSchema.CreateAsync();
        DataSource = NpgsqlDataSource.Create(_connectionString);
        await Migrator.MigrateAsync(DataSource, CancellationToken.None);
        Store = new PostgresJobStore(DataSource);
    }

    [OneTimeTearDown]
    public async Task DropDatabaseAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestSchema.DropAsync(_connectionString);
        }
    }

    protected Task<Core.Jobs.Job?> GetAsync(Guid id) => Store.JobsGetAsync(id, null, Ct);
}
