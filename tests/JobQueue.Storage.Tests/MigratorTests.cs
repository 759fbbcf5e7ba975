using Dapper;
using JobQueue.Storage.Migrations;
using JobQueue.Storage.Postgres;
using JobQueue.Testing;
using Npgsql;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>Each test migrates a database of its own, since what is asserted is the first and later runs.</summary>
public sealed class MigratorTests
{
    private readonly List<string> _databases = [];
    private readonly List<NpgsqlDataSource> _sources = [];

    private static CancellationToken Ct => TestContext.CurrentContext.CancellationToken;

    private static int[] AllVersions => Migrator.All.Select(m => m.Version).ToArray();

    [TearDown]
    public async Task DropDatabasesAsync()
    {
        foreach (var s in _sources)
        {
            await s.DisposeAsync();
        }

        foreach (var db in _databases)
        {
            await TestSchema.DropAsync(db);
        }

        _sources.Clear();
        _databases.Clear();
    }

    [Test]
    public void All_IsNumberedUniquelyInAscendingOrderFromOne()
    {
        // Numbers are reserved per branch (0002 is taken on another branch while 0003_accounts lands here), so a gap
        // is allowed; what matters is that every number is unique and the files are applied in order.
        Assert.That(AllVersions, Is.Ordered.Ascending.And.Unique);
        Assert.That(AllVersions[0], Is.EqualTo(1));
    }

    [Test]
    public async Task MigrateAsync_AppliesEveryMigration_OnAFreshDatabase()
    {
        var ds = await NewDatabaseAsync();

        var applied = await Migrator.MigrateAsync(ds, Ct);

        Assert.That(applied, Is.EqualTo(AllVersions));
        await using var conn = await ds.OpenConnectionAsync(Ct);
        var tables = (await conn.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).ToList();
        Assert.That(tables, Is.SupersetOf(new[] { "jobs", "dead_letter_jobs", "workers", "schema_migrations", "users", "api_keys", "password_reset_tokens", "account_usage", "stripe_events" }));
        Assert.That(await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"), Is.EqualTo(Migrator.All.Count));
    }

    [Test]
    public async Task MigrateAsync_AppliesNothing_WhenCalledAgain()
    {
        var ds = await NewDatabaseAsync();
        await Migrator.MigrateAsync(ds, Ct);

        var second = await Migrator.MigrateAsync(ds, Ct);

        Assert.That(second, Is.Empty);
    }

    [Test]
    public async Task MigrateAsync_AppliesEachMigrationOnce_WhenTwoProcessesMigrateConcurrently()
    {
        // Two data sources: two pools, as two services starting together would have.
        var first = await NewDatabaseAsync();
        var second = NpgsqlDataSource.Create(_databases[^1]);
        _sources.Add(second);

        var results = await Task.WhenAll(Migrator.MigrateAsync(first, Ct), Migrator.MigrateAsync(second, Ct));

        Assert.That(results.SelectMany(r => r).Order().ToArray(), Is.EqualTo(AllVersions), "each version applied by exactly one of the two calls");
        await using var conn = await first.OpenConnectionAsync(Ct);
        Assert.That(await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"), Is.EqualTo(Migrator.All.Count));
    }

    [Test]
    public async Task MigrateAsync_ReleasesItsAdvisoryLock_WhenDone()
    {
        var ds = await NewDatabaseAsync();
        await Migrator.MigrateAsync(ds, Ct);

        await using var conn = await ds.OpenConnectionAsync(Ct);
        var held = await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");

        Assert.That(held, Is.Zero);
    }

    [Test]
    public async Task AccountUsage_CarriesThisMonthsKeyCountsOver_SummedPerAccount_WithoutARegeneratedKeysCopy()
    {
        var ds = await NewDatabaseAsync();
        await MigrateBeforeAsync(ds, 6);
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        await using var conn = await ds.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            """
            INSERT INTO users (id, email, password_hash) VALUES (@alice, 'alice@example.com', 'h'), (@bob, 'bob@example.com', 'h');
            INSERT INTO api_keys (id, user_id, name, key_hash, key_prefix, enabled) VALUES
                ('00000000-0000-0000-0000-00000000000a', @alice, 'default', 'a1', 'qly_a1', false), -- regenerated: its count went to a2
                ('00000000-0000-0000-0000-00000000000b', @alice, 'default', 'a2', 'qly_a2', true),
                ('00000000-0000-0000-0000-00000000000c', @alice, 'ci', 'a3', 'qly_a3', true),
                ('00000000-0000-0000-0000-00000000000d', @bob, 'default', 'b1', 'qly_b1', true);
            INSERT INTO key_usage (api_key_id, period, jobs_used) VALUES
                ('00000000-0000-0000-0000-00000000000a', @month, 300),
                ('00000000-0000-0000-0000-00000000000b', @month, 450),
                ('00000000-0000-0000-0000-00000000000c', @month, 500),
                ('00000000-0000-0000-0000-00000000000c', @lastMonth, 999),
                ('00000000-0000-0000-0000-00000000000d', @month, 7);
            """,
            new { alice, bob, month = ThisMonth(), lastMonth = ThisMonth().AddMonths(-1) });

        await Migrator.MigrateAsync(ds, Ct);

        var carried = await conn.QueryAsync<(Guid, DateTime, long)>("SELECT user_id, period, jobs_used FROM account_usage ORDER BY jobs_used");
        Assert.That(carried, Is.EqualTo(new[] { (bob, ThisMonth(), 7L), (alice, ThisMonth(), 950L) }));
        Assert.That(await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_tables WHERE tablename = 'key_usage'"), Is.Zero, "the per-key shape is gone");
    }

    [Test]
    public async Task WebhookSecret_FromBeforeMigration8_StaysPlainUntilProtected_ByACompareAndSetOnThePlainValue()
    {
        var ds = await NewDatabaseAsync();
        await MigrateBeforeAsync(ds, 8);
        var (plainRow, patchedRow) = (Guid.NewGuid(), Guid.NewGuid());
        await using var conn = await ds.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync(
            "INSERT INTO webhooks (id, owner, url, secret, created_at, updated_at) VALUES (@plainRow, 'default', 'https://example.com/a', 'whsec_old-a', now(), now()), (@patchedRow, 'default', 'https://example.com/b', 'whsec_old-b', now(), now())",
            new { plainRow, patchedRow });

        await Migrator.MigrateAsync(ds, Ct);
        var store = new WebhookStore(ds);
        var plain = await store.WebhooksListPlainSecretsAsync(10, Ct);
        // A PATCH with a new secret between the read and the compare-and-set: the new secret must win.
        await store.WebhooksUpdateAsync(patchedRow, null, w => w with { ProtectedSecret = "protected-new-b" }, Ct);
        var protectedA = await store.WebhooksProtectPlainSecretAsync(plainRow, "whsec_old-a", "protected-a", Ct);
        var protectedB = await store.WebhooksProtectPlainSecretAsync(patchedRow, "whsec_old-b", "protected-old-b", Ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plain.Select(p => (p.Id, p.Secret)).Order(), Is.EquivalentTo(new[] { (plainRow, "whsec_old-a"), (patchedRow, "whsec_old-b") }));
            Assert.That(protectedA, Is.True);
            Assert.That(protectedB, Is.False, "the PATCH cleared the plain secret, so the compare-and-set finds it changed");
            Assert.That((await store.WebhooksGetAsync(plainRow, null, Ct))!.ProtectedSecret, Is.EqualTo("protected-a"));
            Assert.That((await store.WebhooksGetAsync(patchedRow, null, Ct))!.ProtectedSecret, Is.EqualTo("protected-new-b"));
            Assert.That(await store.WebhooksListPlainSecretsAsync(10, Ct), Is.Empty);
            Assert.That(await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM webhooks WHERE secret IS NOT NULL"), Is.Zero);
        }
    }

    private static DateTime ThisMonth() => new(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>Applies the migrations numbered below <paramref name="version"/> as the Migrator does, so a later one meets old data.</summary>
    private static async Task MigrateBeforeAsync(NpgsqlDataSource ds, int version)
    {
        await using var conn = await ds.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var (v, name, sql) in Migrator.All.Where(m => m.Version < version))
        {
            await conn.ExecuteAsync(sql);
            await conn.ExecuteAsync("INSERT INTO schema_migrations (version, name) VALUES (@v, @name)", new { v, name });
        }
    }

    private async Task<NpgsqlDataSource> NewDatabaseAsync()
    {
        var cs = await TestSchema.CreateAsync(Ct);
        _databases.Add(cs);
        var ds = NpgsqlDataSource.Create(cs);
        _sources.Add(ds);
        return ds;
    }
}
