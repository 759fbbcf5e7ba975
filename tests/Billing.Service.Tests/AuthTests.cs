using System.Net;
using System.Text.RegularExpressions;
using Billing.Service.Application;
using Dapper;
using NUnit.Framework;

namespace Billing.Service.Tests;

public sealed partial class AuthTests : AccountsFixture
{
    [Test]
    public async Task Register_Answers201_WithATokenTheUserAndAFreeKeyShownOnce()
    {
        var email = NewEmail();
        var (status, body) = await PostBillingAsync("/auth/register", $$"""{"email":"  {{email.ToUpperInvariant()}} ","password":"12345678"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var data = body["data"]!;
        Assert.That(data["token"]!.GetValue<string>().Split('.'), Has.Length.EqualTo(3));
        Assert.That(data["user"]!["email"]!.GetValue<string>(), Is.EqualTo(email));
        Assert.That(data["user"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "id", "email", "created_at" }));
        var key = data["api_key"]!;
        Assert.That(key.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "id", "name", "key", "key_prefix", "tier", "jobs_limit", "reset_at", "created_at", "warning" }));
        Assert.That(key["key"]!.GetValue<string>(), Does.Match("^qly_[0-9a-f]{32}$"));
        Assert.That(key["key_prefix"]!.GetValue<string>(), Is.EqualTo(key["key"]!.GetValue<string>()[..8]));
        Assert.That((key["tier"]!.GetValue<string>(), key["jobs_limit"]!.GetValue<long>()), Is.EqualTo(("free", 1000L)));
        var resetAt = key["reset_at"]!.GetValue<DateTimeOffset>();
        Assert.That((resetAt.Day, resetAt.Hour, resetAt.Offset), Is.EqualTo((1, 0, TimeSpan.Zero)));
        Assert.That(resetAt, Is.GreaterThan(DateTimeOffset.UtcNow).And.LessThanOrEqualTo(DateTimeOffset.UtcNow.AddDays(32)));

        // The key is stored only as its digest.
        await using var conn = await Db.OpenConnectionAsync(Ct);
        var stored = await conn.QueryAsync<string>("SELECT key_hash FROM api_keys");
        Assert.That(stored, Has.None.Contains(key["key"]!.GetValue<string>()));
    }

    [Test]
    public async Task Register_Answers409_ForAnEmailTakenInAnotherCase()
    {
        var email = NewEmail();
        await RegisterAsync(email);

        var (status, body) = await PostBillingAsync("/auth/register", $$"""{"email":"{{email.ToUpperInvariant()}}","password":"another-password"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Envelope.Error(body), Is.EqualTo("an account with this email already exists"));
    }

    [TestCase("""{"email":"a@example.com","password":"1234567"}""", HttpStatusCode.UnprocessableEntity, "'password' must be at least 8 characters")]
    [TestCase("""{"email":"not-an-email","password":"12345678"}""", HttpStatusCode.UnprocessableEntity, "'email' is not a valid address: 'not-an-email'")]
    [TestCase("""{"email":"a@example.com"}""", HttpStatusCode.UnprocessableEntity, "'password' is required")]
    [TestCase("""{"email":"a@example.com","password":"12345678","tier":"business"}""", HttpStatusCode.BadRequest, "unknown field 'tier'")]
    [TestCase("""{"email":"a@example.com","password":12345678}""", HttpStatusCode.BadRequest, "'password' must be a string")]
    [TestCase("""["a@example.com"]""", HttpStatusCode.BadRequest, "expected a JSON object")]
    public async Task Register_RefusesBadInput_WithTheReason(string json, HttpStatusCode expected, string message)
    {
        var (status, body) = await PostBillingAsync("/auth/register", json);
        Assert.That(status, Is.EqualTo(expected));
        Assert.That(Envelope.Error(body), Is.EqualTo(message));
    }

    [Test]
    public async Task Register_Answers415_WithoutAJsonContentType()
    {
        using var client = Billing.CreateClient();
        using var response = await client.PostAsync("/auth/register", new StringContent("""{"email":"a@example.com","password":"12345678"}"""), Ct);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(Envelope.Error(await Envelope.ReadAsync(response)), Does.StartWith("Content-Type must be application/json"));
    }

    [Test]
    public async Task Login_ReturnsATokenAndTheKeys_InAnyLetterCaseOfTheEmail()
    {
        var account = await RegisterAsync();

        var (status, body) = await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email.ToUpperInvariant()}}","password":"{{account.Password}}"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That(body["data"]!["token"]!.GetValue<string>(), Is.Not.Empty);
        Assert.That(body["data"]!["user"]!["id"]!.GetValue<string>(), Is.EqualTo(account.UserId.ToString()));
        var keys = body["data"]!["keys"]!.AsArray();
        Assert.That(keys.Select(k => k!["id"]!.GetValue<string>()), Is.EqualTo(new[] { account.KeyId.ToString() }));
        Assert.That(keys[0]!.AsObject().ContainsKey("key"), Is.False, "a listed key never shows the key itself");
    }

    [Test]
    public async Task Login_Answers401WithOneMessage_ForAWrongPasswordAndAnUnknownEmail()
    {
        var account = await RegisterAsync();

        var wrongPassword = await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"wrong password"}""");
        var unknownEmail = await PostBillingAsync("/auth/login", $$"""{"email":"{{NewEmail()}}","password":"{{account.Password}}"}""");

        Assert.That(wrongPassword.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(unknownEmail.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(Envelope.Error(wrongPassword.Body), Is.EqualTo("invalid email or password"));
        Assert.That(Envelope.Error(unknownEmail.Body), Is.EqualTo(Envelope.Error(wrongPassword.Body)));
    }

    [Test]
    public async Task ForgotPassword_AnswersTheSame_WhetherOrNotTheAccountExists_AndStoresOnlyADigest()
    {
        var account = await RegisterAsync();

        var known = await PostBillingAsync("/auth/forgot-password", $$"""{"email":"{{account.Email}}"}""");
        var unknown = await PostBillingAsync("/auth/forgot-password", $$"""{"email":"{{NewEmail()}}"}""");

        Assert.That((known.Status, unknown.Status), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That(known.Body["data"]!.ToJsonString(), Is.EqualTo(unknown.Body["data"]!.ToJsonString()));
        var token = ResetTokenFromLog(account.Email);
        await using var conn = await Db.OpenConnectionAsync(Ct);
        var rows = (await conn.QueryAsync<(string Hash, DateTime ExpiresAt)>(
            "SELECT token_hash, expires_at FROM password_reset_tokens WHERE user_id = @id", new { id = account.UserId })).ToList();
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].Hash, Is.EqualTo(JobQueue.Core.Accounts.ApiKeys.Hash(token)).And.Not.EqualTo(token));
        Assert.That(rows[0].ExpiresAt, Is.EqualTo(DateTime.UtcNow.AddHours(1)).Within(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task ResetPassword_ChangesThePassword_AndRevokesEveryEarlierLoginToken()
    {
        var account = await RegisterAsync();
        var jobsWithToken = Client(Jobs, bearer: account.Token);
        Assert.That((await SendAsync(jobsWithToken, HttpMethod.Get, "/api/v1/jobs")).Status, Is.EqualTo(HttpStatusCode.OK));
        var token = await ForgotAsync(account.Email);

        var (status, body) = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"a new password"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        // Billing dropped its own cache before answering: the old token is refused there at once.
        Assert.That((await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Get, "/portal/usage")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        // Jobs.Api had the user cached; the Redis message reaches it within moments (its cache would keep it 30 s).
        await JobQueue.Testing.Polling.WaitUntil(async () => (await SendAsync(jobsWithToken, HttpMethod.Get, "/api/v1/jobs")).Status == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(3), "the JWT issued before the reset is refused by Jobs.Api", Ct);
        var old = await SendAsync(jobsWithToken, HttpMethod.Get, "/api/v1/jobs");
        Assert.That(Envelope.Error(old.Body), Is.EqualTo("login token revoked: log in again"));
        Assert.That((await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"{{account.Password}}"}""")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        var login = await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"a new password"}""");
        Assert.That(login.Status, Is.EqualTo(HttpStatusCode.OK));
        var fresh = Client(Jobs, bearer: login.Body["data"]!["token"]!.GetValue<string>());
        Assert.That((await SendAsync(fresh, HttpMethod.Get, "/api/v1/jobs")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await SendAsync(Client(Jobs, key: account.Key), HttpMethod.Get, "/api/v1/jobs")).Status, Is.EqualTo(HttpStatusCode.OK), "keys survive a password reset");
    }

    [Test]
    public async Task ResetPassword_IsRefused_TheSecondTime()
    {
        var account = await RegisterAsync();
        var token = await ForgotAsync(account.Email);

        var first = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"first new password"}""");
        var second = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"second new password"}""");

        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(second.Body), Is.EqualTo("invalid, expired or already used reset token"));
        Assert.That((await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"first new password"}""")).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ResetPassword_IsRefused_OnceTheTokenExpired()
    {
        var account = await RegisterAsync();
        var token = await ForgotAsync(account.Email);
        await using (var conn = await Db.OpenConnectionAsync(Ct))
        {
            await conn.ExecuteAsync("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = @id", new { id = account.UserId });
        }

        var (status, body) = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"a new password"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Envelope.Error(body), Is.EqualTo("invalid, expired or already used reset token"));
        Assert.That((await PostBillingAsync("/auth/login", $$"""{"email":"{{account.Email}}","password":"{{account.Password}}"}""")).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ResetPassword_SucceedsExactlyOnce_WhenTheSameTokenIsUsedConcurrently()
    {
        var account = await RegisterAsync();
        var token = await ForgotAsync(account.Email);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"password number {{i}}"}""")));

        Assert.That(attempts.Count(a => a.Status == HttpStatusCode.OK), Is.EqualTo(1));
        Assert.That(attempts.Count(a => a.Status == HttpStatusCode.BadRequest), Is.EqualTo(7));
        await using var conn = await Db.OpenConnectionAsync(Ct);
        Assert.That(await conn.ExecuteScalarAsync<int>("SELECT token_version FROM users WHERE id = @id", new { id = account.UserId }), Is.EqualTo(1));
    }

    [Test]
    public async Task ResetPassword_RefusesAShortPassword_AndKeepsTheTokenUsable()
    {
        var account = await RegisterAsync();
        var token = await ForgotAsync(account.Email);

        var shortOne = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"short"}""");
        var good = await PostBillingAsync("/auth/reset-password", $$"""{"token":"{{token}}","password":"long enough now"}""");

        Assert.That((shortOne.Status, good.Status), Is.EqualTo((HttpStatusCode.UnprocessableEntity, HttpStatusCode.OK)));
    }

    private async Task<string> ForgotAsync(string email)
    {
        var (status, _) = await PostBillingAsync("/auth/forgot-password", $$"""{"email":"{{email}}"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        return ResetTokenFromLog(email);
    }

    /// <summary>The token of the latest reset link logged for <paramref name="email"/> (Development logs it at Information).</summary>
    private string ResetTokenFromLog(string email)
    {
        var line = Billing.Logs.LastOrDefault(l => l.StartsWith("Information: Password reset for " + email + " ", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, "the reset link is logged in Development");
        Assert.That(line, Does.Contain($"POST {StripeSettings.DefaultBaseUrl}/auth/reset-password "), "the route that takes the token, at the public address");
        return ResetLink().Match(line!).Groups[1].Value;
    }

    [GeneratedRegex(@"""token"":""([0-9a-f]{64})""")]
    private static partial Regex ResetLink();
}
