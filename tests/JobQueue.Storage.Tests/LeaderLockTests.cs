using System.Security.Cryptography;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

public sealed class LeaderLockTests : PostgresFixture
{
    private static long NewKey() => BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    [Test]
    public async Task TryAcquire_GrantsTheLockToExactlyOneOfTwoContenders()
    {
        var key = NewKey();
        await using var a = new LeaderLock(DataSource, key);
        await using var b = new LeaderLock(DataSource, key);

        var results = await Task.WhenAll(a.TryAcquireOrKeepAsync(Ct), b.TryAcquireOrKeepAsync(Ct));

        Assert.That(results.Count(r => r), Is.EqualTo(1));
        Assert.That(a.IsHeld ^ b.IsHeld, Is.True);
    }

    [Test]
    public async Task TryAcquire_KeepsTheLock_ForTheHolder()
    {
        await using var a = new LeaderLock(DataSource, NewKey());

        var first = await a.TryAcquireOrKeepAsync(Ct);
        var again = await a.TryAcquireOrKeepAsync(Ct);

        Assert.That((first, again, a.IsHeld), Is.EqualTo((true, true, true)));
    }

    [Test]
    public async Task TryAcquire_SucceedsForTheOther_AfterTheHolderReleases()
    {
        var key = NewKey();
        await using var a = new LeaderLock(DataSource, key);
        await using var b = new LeaderLock(DataSource, key);
        Assert.That(await a.TryAcquireOrKeepAsync(Ct), Is.True);
        Assert.That(await b.TryAcquireOrKeepAsync(Ct), Is.False);

        await a.ReleaseAsync();

        Assert.That(a.IsHeld, Is.False);
        Assert.That(await b.TryAcquireOrKeepAsync(Ct), Is.True);
        Assert.That(await a.TryAcquireOrKeepAsync(Ct), Is.False, "now b holds it");
    }

    [Test]
    public async Task TryAcquire_SucceedsForTheOther_AfterTheHolderIsDisposed()
    {
        var key = NewKey();
        await using var b = new LeaderLock(DataSource, key);
        var a = new LeaderLock(DataSource, key);
        Assert.That(await a.TryAcquireOrKeepAsync(Ct), Is.True);

        await a.DisposeAsync();

        Assert.That(await b.TryAcquireOrKeepAsync(Ct), Is.True);
    }

    [Test]
    public async Task TryAcquire_IsRefused_WhileHeldBySessionOnAnotherDataSource()
    {
        // Another process: a separate pool on the same database.
        var key = NewKey();
        await using var otherSource = Npgsql.NpgsqlDataSource.Create(ConnectionString);
        await using var a = new LeaderLock(otherSource, key);
        await using var b = new LeaderLock(DataSource, key);
        Assert.That(await a.TryAcquireOrKeepAsync(Ct), Is.True);

        Assert.That(await b.TryAcquireOrKeepAsync(Ct), Is.False);
    }
}
