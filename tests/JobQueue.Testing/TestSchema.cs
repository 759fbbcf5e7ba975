using System.Collections.Concurrent;
using System.Security.Cryptography;
using JobQueue.Testing.Resources;
using Npgsql;

namespace JobQueue.Testing;

/// <summary>
/// A fresh database per test fixture on the assembly's server: fully isolated (own migrations, own tables), and
/// simpler than schemas because no statement needs a search_path. CREATE DATABASE copies template1 in a few ms.
/// </summary>
public static class TestSchema
{
    private static readonly ConcurrentDictionary<string, byte> Created = new();

    /// <summary>Creates database <c>test_&lt;random&gt;</c> and returns a connection string to it.</summary>
    public static async Task<string> CreateAsync(CancellationToken cancellationToken = default)
    {
        var name = $"test_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        await PostgresServer.CreateDatabaseAsync(TestInfrastructure.PostgresConnectionString, name, cancellationToken);
        Created[name] = 0;
        return new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// A fresh database with the schema applied, as the AppHost's migration step leaves it before any service
    /// starts (the services never migrate).
    /// </summary>
    public static async Task<string> CreateMigratedAsync(CancellationToken cancellationToken = default)
    {
        var connectionString = await CreateAsync(cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await JobQueue.Storage.Migrations.Migrator.MigrateAsync(dataSource, cancellationToken);
        return connectionString;
    }

    /// <summary>Drops the database <paramref name="connectionString"/> points to, closing its connections.</summary>
    public static async Task DropAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)", conn);
        await drop.ExecuteNonQueryAsync(cancellationToken);
        Created.TryRemove(name, out _);
    }

    /// <summary>Drops every database created in this process (on a shared external server).</summary>
    internal static async Task DropAllAsync()
    {
        foreach (var name in Created.Keys)
        {
            try
            {
                await DropAsync(new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString) { Database = name }.ConnectionString);
            }
            catch (NpgsqlException)
            {
                // Best effort: a database still in use by a leaked connection stays behind.
            }
        }
    }
}
