using Dapper;
using JobQueue.Core.Accounts;
using JobQueue.Storage.Postgres;
using NUnit.Framework;

namespace JobQueue.Storage.Tests;

/// <summary>The contract of <see cref="AccountStore"/> and <see cref="UsageMeter"/> on a real Postgres.</summary>
public sealed class AccountStoreTests : PostgresFixture
{
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    private AccountStore Accounts => new(DataSource);

    private UsageMeter Meter => new(DataSource);

    private static NewApiKey NewKey(string name = "default")
    {
        var key = ApiKeys.Generate();
        return new NewApiKey(Guid.CreateVersion7(), name, ApiKeys.Hash(key), ApiKeys.Prefix(key));
    }

    private async Task<(UserRecord User, ApiKeyRecord Key)> NewUserAsync(string? email = null)
    {
        var created = await Accounts.UsersCreateWithKeyAsync(email ?? $"u{Guid.NewGuid():N}@example.com", "hash", NewKey(), Now, Ct);
        Assert.That(created, Is.Not.Null);
        return created!.Value;
    }

    private async Task SetTierAsync(Guid keyId, string tier)
    {
        await using var conn = await DataSource.OpenConnectionAsync(Ct);
        await conn.ExecuteAsync("UPDATE api_keys SET tier = @tier WHERE id = @keyId", new { tier, keyId });
    }

    [Test]
    public async Task UsersCreate_RefusesTheSameEmail_InAnotherCase()
    {
        var email = $"Ada{Guid.NewGuid():N}@Example.com";
        await NewUserAsync(email.ToLowerInvariant());

        var second = await Accounts.UsersCreateWithKeyAsync(email.ToUpperInvariant(), "hash", NewKey(), Now, Ct);

        Assert.That(second, Is.Null);
        Assert.That((await Accounts.UsersGetByEmailAsync(email, Ct))?.Email, Is.EqualTo(email.ToLowerInvariant()));
    }

    [Test]
    public async Task UsersCreate_GivesTheFirstKeyTheFreeTier()
    {
        var (user, key) = await NewUserAsync();
        Assert.That((key.UserId, key.Tier, key.Enabled), Is.EqualTo((user.Id, "free", true)));
    }

    [Test]
    public async Task KeysCreate_TakesTheAccountsBestTier_WhateverTheOrder()
    {
        var (user, first) = await NewUserAsync();
        var second = await Accounts.KeysCreateAsync(user.Id, NewKey("b"), Now, Ct);
        await SetTierAsync(second!.Id, "pro");

        var third = await Accounts.KeysCreateAsync(user.Id, NewKey("c"), Now, Ct);

        Assert.That(third!.Tier, Is.EqualTo("pro"));
        Assert.That(first.Tier, Is.EqualTo("free"));
    }

    [Test]
    public async Task KeysDelete_OnlyDeletesTheUsersOwnKey()
    {
        var (alice, aliceKey) = await NewUserAsync();
        var (bob, _) = await NewUserAsync();

        Assert.That(await Accounts.KeysDeleteAsync(bob.Id, aliceKey.Id, Ct), Is.False);
        Assert.That(await Accounts.KeysListAsync(alice.Id, Ct), Has.Count.EqualTo(1));
        Assert.That(await Accounts.KeysDeleteAsync(alice.Id, aliceKey.Id, Ct), Is.True);
        Assert.That(await Accounts.KeysListAsync(alice.Id, Ct), Is.Empty);
    }

    [Test]
    public async Task KeysFindEnabledByHash_FindsOnlyEnabledKeys()
    {
        var raw = ApiKeys.Generate();
        var created = await Accounts.UsersCreateWithKeyAsync($"u{Guid.NewGuid():N}@example.com", "hash",
            new NewApiKey(Guid.CreateVersion7(), "k", ApiKeys.Hash(raw), ApiKeys.Prefix(raw)), Now, Ct);

        var found = await Accounts.KeysFindEnabledByHashAsync(ApiKeys.Hash(raw), Ct);
        Assert.That(found?.Id, Is.EqualTo(created!.Value.Key.Id));

        await Accounts.KeysRegeneratePrimaryAsync(created.Value.User.Id, NewKey(), Now, Ct);
        Assert.That(await Accounts.KeysFindEnabledByHashAsync(ApiKeys.Hash(raw), Ct), Is.Null);
    }

    [Test]
    public async Task KeysRegeneratePrimary_DisablesTheOldest_KeepsNameTierAndThisMonthsCount()
    {
        var (user, old) = await NewUserAsync();
        await SetTierAsync(old.Id, "pro");
        Assert.That((await Meter.TryConsumeAsync(user.Id, 100_000, 7, Now, Ct)).Accepted, Is.True);

        var result = await Accounts.KeysRegeneratePrimaryAsync(user.Id, NewKey("ignored"), Now, Ct);

        Assert.That(result, Is.Not.Null);
        var (created, replaced) = result!.Value;
        Assert.That(replaced, Is.EqualTo(old.Id));
        Assert.That((created.Name, created.Tier, created.Enabled), Is.EqualTo((old.Name, "pro", true)));
        Assert.That((await Meter.GetUsageAsync(user.Id, Now, Ct))!.JobsUsed, Is.EqualTo(7));
        var auth = await Accounts.UsersGetAuthAsync(user.Id, Ct);
        Assert.That(auth!.PrimaryKeyId, Is.EqualTo(created.Id));
    }

    [Test]
    public async Task UsersGetAuth_PrimaryKeyIsTheOldestEnabledKey()
    {
        var (user, first) = await NewUserAsync();
        await Accounts.KeysCreateAsync(user.Id, NewKey("second"), Now.AddSeconds(1), Ct);

        var auth = await Accounts.UsersGetAuthAsync(user.Id, Ct);

        Assert.That((auth!.PrimaryKeyId, auth.Tier, auth.TokenVersion), Is.EqualTo(((Guid?)first.Id, "free", 0)));
    }

    [Test]
    public async Task PasswordReset_WorksOnce_AndBumpsTheTokenVersion()
    {
        var (user, _) = await NewUserAsync();
        var token = ApiKeys.NewResetToken();
        Assert.That(await Accounts.ResetTokensCreateAsync(user.Email.ToUpperInvariant(), ApiKeys.Hash(token), Now, Now.AddHours(1), Ct), Is.EqualTo(user.Id));

        Assert.That(await Accounts.PasswordResetAsync(ApiKeys.Hash(token), "new-hash", Now.AddMinutes(5), Ct), Is.EqualTo(user.Id));
        Assert.That(await Accounts.PasswordResetAsync(ApiKeys.Hash(token), "other-hash", Now.AddMinutes(6), Ct), Is.Null);

        var after = await Accounts.UsersGetAsync(user.Id, Ct);
        Assert.That((after!.PasswordHash, after.TokenVersion), Is.EqualTo(("new-hash", 1)));
    }

    [Test]
    public async Task PasswordReset_IsRefused_OnceExpired()
    {
        var (user, _) = await NewUserAsync();
        var token = ApiKeys.NewResetToken();
        await Accounts.ResetTokensCreateAsync(user.Email, ApiKeys.Hash(token), Now, Now.AddHours(1), Ct);

        Assert.That(await Accounts.PasswordResetAsync(ApiKeys.Hash(token), "new-hash", Now.AddHours(1), Ct), Is.Null);
        Assert.That((await Accounts.UsersGetAsync(user.Id, Ct))!.PasswordHash, Is.EqualTo("hash"));
    }

    [Test]
    public async Task ResetTokensCreate_StoresNothing_ForAnUnknownEmail()
    {
        Assert.That(await Accounts.ResetTokensCreateAsync("nobody@example.com", ApiKeys.Hash("x"), Now, Now.AddHours(1), Ct), Is.Null);
    }

    [Test]
    public async Task TryConsume_AcceptsUpToTheLimit_ThenRefusesWithoutCounting()
    {
        var (user, _) = await NewUserAsync();

        var a = await Meter.TryConsumeAsync(user.Id, 10, 6, Now, Ct);
        var b = await Meter.TryConsumeAsync(user.Id, 10, 5, Now, Ct);
        var c = await Meter.TryConsumeAsync(user.Id, 10, 4, Now, Ct);

        Assert.That(a, Is.EqualTo(new UsageConsumption(true, 6)));
        Assert.That(b, Is.EqualTo(new UsageConsumption(false, 6)));
        Assert.That(c, Is.EqualTo(new UsageConsumption(true, 10)));
        Assert.That((await Meter.GetUsageAsync(user.Id, Now, Ct))!.JobsUsed, Is.EqualTo(10));
    }

    [Test]
    public async Task TryConsume_RefusesABatchLargerThanTheLimit_OnTheFirstUseOfTheMonth()
    {
        var (user, _) = await NewUserAsync();
        Assert.That(await Meter.TryConsumeAsync(user.Id, 10, 11, Now, Ct), Is.EqualTo(new UsageConsumption(false, 0)));
        Assert.That((await Meter.GetUsageAsync(user.Id, Now, Ct))!.JobsUsed, Is.Zero);
    }

    [Test]
    public async Task TryConsume_NeverRefuses_WhenUnlimited()
    {
        var (user, _) = await NewUserAsync();
        Assert.That(await Meter.TryConsumeAsync(user.Id, Tiers.Unlimited, 1_000_000, Now, Ct), Is.EqualTo(new UsageConsumption(true, 1_000_000)));
    }

    [Test]
    public async Task TryConsume_StartsAgainFromZero_InANewMonth_WithoutAnyJobInBetween()
    {
        var (user, _) = await NewUserAsync();
        var endOfNovember = new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.Zero);
        Assert.That((await Meter.TryConsumeAsync(user.Id, 10, 10, endOfNovember, Ct)).Accepted, Is.True);
        Assert.That((await Meter.TryConsumeAsync(user.Id, 10, 1, endOfNovember, Ct)).Accepted, Is.False);

        var december = endOfNovember.AddSeconds(1);
        Assert.That((await Meter.GetUsageAsync(user.Id, december, Ct))!.JobsUsed, Is.Zero);
        Assert.That(await Meter.TryConsumeAsync(user.Id, 10, 1, december, Ct), Is.EqualTo(new UsageConsumption(true, 1)));
        Assert.That((await Meter.GetUsageAsync(user.Id, endOfNovember, Ct))!.JobsUsed, Is.EqualTo(10));
    }

    [Test]
    public async Task TryConsume_AcceptsExactlyWhatIsLeft_When200ConsumersRace()
    {
        var (user, _) = await NewUserAsync();
        Assert.That((await Meter.TryConsumeAsync(user.Id, 1000, 990, Now, Ct)).Accepted, Is.True); // 10 left

        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await Meter.TryConsumeAsync(user.Id, 1000, 1, Now, Ct);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.That(results.Count(r => r.Accepted), Is.EqualTo(10));
        Assert.That(results.Where(r => r.Accepted).Select(r => r.Used), Is.EquivalentTo(Enumerable.Range(991, 10).Select(i => (long)i)));
        Assert.That((await Meter.GetUsageAsync(user.Id, Now, Ct))!.JobsUsed, Is.EqualTo(1000));
    }

    [Test]
    public async Task TryConsume_InsideATransaction_DoesNotCount_WhenRolledBack()
    {
        var (user, _) = await NewUserAsync();
        await using (var conn = await DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await conn.BeginTransactionAsync(Ct))
        {
            var r = await UsageMeter.TryConsumeAsync(conn, tx, user.Id, 10, 3, Now, Ct);
            Assert.That(r, Is.EqualTo(new UsageConsumption(true, 3)));
            await tx.RollbackAsync(Ct);
        }

        Assert.That((await Meter.GetUsageAsync(user.Id, Now, Ct))!.JobsUsed, Is.Zero);
    }
}
