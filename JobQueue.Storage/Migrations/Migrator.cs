using System.Reflection;
using Dapper;
using Npgsql;

namespace JobQueue.Storage.Migrations;

/// <summary>
/// Applies the numbered <c>NNNN_name.sql</c> files embedded in this assembly, in order, each once, inside one
/// transaction per file, under <c>pg_advisory_lock</c> so that services starting together do not race.
/// </summary>
public static class Migrator
{
    // Arbitrary constant shared by every JobQueue process: "JQMIGRAT" folded into a bigint.
    private const long LockKey = 0x4A514D4947524154;

    /// <summary>The embedded migrations, ordered by number.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } = Load();

    /// <summary>Applies what is missing; returns the versions applied by this call.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@k)", new { k = LockKey }, cancellationToken: ct));
        try
        {
            await conn.ExecuteAsync(new CommandDefinition(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken: ct));
            var done = (await conn.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet();
            var applied = new List<int>();
            foreach (var (version, name, sql) in All)
            {
                if (done.Contains(version))
                {
                    continue;
                }

                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
                await conn.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", new { version, name }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                applied.Add(version);
            }

            return applied;
        }
        finally
        {
            await conn.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@k)", new { k = LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private static List<(int, string, string)> Load()
    {
        var asm = typeof(Migrator).Assembly;
        var list = new List<(int, string, string)>();
        foreach (var res in asm.GetManifestResourceNames().Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = res["Migrations.".Length..];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file.AsSpan(0, underscore), System.Globalization.CultureInfo.InvariantCulture);
            list.Add((version, file[(underscore + 1)..^4], Read(asm, res)));
        }

        return list.OrderBy(m => m.Item1).ToList();
    }

    internal static string Read(Assembly asm, string resource)
    {
        using var s = asm.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"missing embedded resource {resource}");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
