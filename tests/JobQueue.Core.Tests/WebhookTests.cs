using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JobQueue.Core.Events;
using JobQueue.Core.Net;
using JobQueue.Core.Retry;
using JobQueue.Core.Validation;
using JobQueue.Core.Webhooks;

namespace JobQueue.Core.Tests;

public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_test-secret-0123456789";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"event":"job.completed","job_id":"x"}""");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Test]
    public void Sign_IsTheOriginalsFormat_Sha256PrefixAndLowercaseHexOfHmacOfTheBody()
    {
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Body));
        Assert.That(WebhookSignature.Sign(Secret, Body), Is.EqualTo(expected));
    }

    [Test]
    public void SignTimestamped_CoversTheTimestampDotBody()
    {
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), (byte[])[.. "1800000000."u8, .. Body]));
        Assert.That(WebhookSignature.SignTimestamped(Secret, 1_800_000_000, Body), Is.EqualTo(expected));
    }

    private static WebhookVerification Verify(long ts, byte[]? body = null, string secret = Secret, DateTimeOffset? now = null) =>
        WebhookVerifier.Verify(
            secret, body ?? Body, WebhookSignature.Sign(Secret, Body), ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            WebhookSignature.SignTimestamped(Secret, ts, Body), now ?? Now, WebhookVerifier.DefaultTolerance);

    [Test]
    public void Verify_AcceptsAFreshDelivery() => Assert.That(Verify(Now.ToUnixTimeSeconds() - 30), Is.EqualTo(WebhookVerification.Valid));

    [Test]
    public void Verify_RefusesAReplayOlderThanTheTolerance() =>
        Assert.That(Verify(Now.ToUnixTimeSeconds() - 301), Is.EqualTo(WebhookVerification.OutsideTolerance));

    [Test]
    public void Verify_RefusesAChangedBody() =>
        Assert.That(Verify(Now.ToUnixTimeSeconds(), body: [.. Body, (byte)' ']), Is.EqualTo(WebhookVerification.BadSignature));

    [Test]
    public void Verify_RefusesAnotherSecret() =>
        Assert.That(Verify(Now.ToUnixTimeSeconds(), secret: Secret + "x"), Is.EqualTo(WebhookVerification.BadSignature));

    [Test]
    public void Verify_RefusesATimestampChangedToLookFresh()
    {
        var old = Now.ToUnixTimeSeconds() - 3600;
        var result = WebhookVerifier.Verify(Secret, Body, WebhookSignature.Sign(Secret, Body), Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            WebhookSignature.SignTimestamped(Secret, old, Body), Now, WebhookVerifier.DefaultTolerance);
        Assert.That(result, Is.EqualTo(WebhookVerification.BadTimestampedSignature));
    }

    [TestCase(null)]
    [TestCase("sha256=zz")]
    [TestCase("md5=00")]
    public void Verify_RefusesAMissingOrMalformedSignature(string? header) =>
        Assert.That(WebhookVerifier.Verify(Secret, Body, header, "1", "x", Now, WebhookVerifier.DefaultTolerance), Is.EqualTo(WebhookVerification.BadSignature));

    [Test]
    public void GenerateSecret_IsPrefixedAndRandom()
    {
        var a = WebhookSignature.GenerateSecret();
        Assert.That(a, Does.StartWith("whsec_").And.Length.GreaterThanOrEqualTo(40));
        Assert.That(WebhookSignature.GenerateSecret(), Is.Not.EqualTo(a));
    }

    [Test]
    public void Payload_PutsTheOriginalsFieldsFirst_AndNeverTheOwner()
    {
        var e = new LifecycleEvent(EventNames.JobFailed, "acme", Guid.NewGuid(), "email", "default", 5, "failed", 2, 3, "w1", 1234, Error: "boom", RetryAt: 5678);
        using var doc = JsonDocument.Parse(WebhookPayload.Build(e));
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(names.Take(5), Is.EqualTo(new[] { "event", "job_id", "job_type", "timestamp", "error" }));
        Assert.That(names, Does.Not.Contain("owner").And.Contain("retry_at").And.Not.Contain("wait_ms"));
        Assert.That(doc.RootElement.GetProperty("timestamp").GetInt64(), Is.EqualTo(1234));
    }
}

public sealed class WebhookPolicyTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [TestCase("""{"url":"https://example.com/hook"}""")]
    [TestCase("""{"url":"https://example.com/hook","events":["job.completed","job.dead"],"secret":"0123456789abcdef","description":"ops","enabled":false}""")]
    public void Create_AcceptsAValidSubscription(string body)
    {
        Assert.That(WebhookRequestValidator.TryValidateCreate(Json(body), OutboundAddressPolicy.PublicOnly, out var spec), Is.Null);
        Assert.That(spec!.Url, Is.EqualTo("https://example.com/hook"));
    }

    [TestCase("""{"events":[]}""", RequestErrorKind.Invalid, "'url' is required")]
    [TestCase("""{"url":"ftp://example.com"}""", RequestErrorKind.Invalid, "absolute http or https")]
    [TestCase("""{"url":"https://u:p@example.com"}""", RequestErrorKind.Invalid, "credentials")]
    [TestCase("""{"url":"http://127.0.0.1:8080/"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"http://localhost/"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"http://localhost./"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"http://0.0.0.0:80/"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"http://[fd00::1]/"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"http://169.254.169.254/"}""", RequestErrorKind.Invalid, "is refused")]
    [TestCase("""{"url":"https://example.com","events":["worker.heartbeat"]}""", RequestErrorKind.Invalid, "unknown event 'worker.heartbeat'")]
    [TestCase("""{"url":"https://example.com","events":"job.completed"}""", RequestErrorKind.Malformed, "'events' must be an array")]
    [TestCase("""{"url":"https://example.com","secret":"short"}""", RequestErrorKind.Invalid, "'secret' must be 16 to 256")]
    [TestCase("""{"url":"https://example.com","hmac":"x"}""", RequestErrorKind.Malformed, "unknown field 'hmac'")]
    [TestCase("""{"url":5}""", RequestErrorKind.Malformed, "'url' must be a string")]
    public void Create_RefusesBadInput(string body, RequestErrorKind kind, string message)
    {
        var error = WebhookRequestValidator.TryValidateCreate(Json(body), OutboundAddressPolicy.PublicOnly, out _);
        Assert.That(error?.Kind, Is.EqualTo(kind));
        Assert.That(error!.Message, Does.Contain(message));
    }

    [Test]
    public void Create_AcceptsLoopback_WhenThePolicyAllowsIt() =>
        Assert.That(WebhookRequestValidator.TryValidateCreate(Json("""{"url":"http://127.0.0.1:9/"}"""), new OutboundAddressPolicy(PrivateAddressAccess.Loopback), out _), Is.Null);

    [Test]
    public void Patch_NeedsAField() =>
        Assert.That(WebhookRequestValidator.TryValidatePatch(Json("{}"), OutboundAddressPolicy.PublicOnly, out _)?.Message, Does.StartWith("nothing to change"));

    [TestCase("127.0.0.1", PrivateAddressAccess.None, false)]
    [TestCase("127.0.0.1", PrivateAddressAccess.Loopback, true)]
    [TestCase("10.1.2.3", PrivateAddressAccess.Loopback, false)]
    [TestCase("10.1.2.3", PrivateAddressAccess.All, true)]
    [TestCase("0.0.0.0", PrivateAddressAccess.None, false)]
    [TestCase("224.0.0.1", PrivateAddressAccess.None, false)]
    [TestCase("fe80::1", PrivateAddressAccess.None, false)]
    [TestCase("::ffff:192.168.1.1", PrivateAddressAccess.None, false)]
    [TestCase("93.184.216.34", PrivateAddressAccess.None, true)]
    [TestCase("2606:4700::1111", PrivateAddressAccess.None, true)]
    public void AddressPolicy_AllowsWhatTheAccessLevelSays(string ip, PrivateAddressAccess access, bool allowed) =>
        Assert.That(new OutboundAddressPolicy(access).Allows(IPAddress.Parse(ip)), Is.EqualTo(allowed));

    [TestCase("true", PrivateAddressAccess.All)]
    [TestCase("loopback", PrivateAddressAccess.Loopback)]
    [TestCase("false", PrivateAddressAccess.None)]
    [TestCase("", PrivateAddressAccess.None)]
    public void ParseAccess_ReadsTheSetting(string text, PrivateAddressAccess expected) =>
        Assert.That(OutboundAddressPolicy.ParseAccess(text, "X"), Is.EqualTo(expected));

    [Test]
    public void ParseAccess_NamesTheSettingOnABadValue() =>
        Assert.That(() => OutboundAddressPolicy.ParseAccess("maybe", "WEBHOOK_ALLOW_PRIVATE_ADDRESSES"), Throws.TypeOf<FormatException>().With.Message.Contains("WEBHOOK_ALLOW_PRIVATE_ADDRESSES"));

    [Test]
    public async Task ResolveAllowed_ThrowsBlocked_ForAPrivateLiteral() =>
        Assert.That(async () => await OutboundAddressPolicy.PublicOnly.ResolveAllowedAsync("10.0.0.1", CancellationToken.None),
            Throws.TypeOf<BlockedAddressException>());

    [Test]
    public void DeliveryPolicy_RetriesWithBackoff_ThenGivesUp()
    {
        var policy = new WebhookDeliveryPolicy { MaxAttempts = 3, Backoff = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)) };
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Assert.That(policy.RetryAt(1, now, 0.5), Is.EqualTo(now.AddSeconds(10)));
        Assert.That(policy.RetryAt(2, now, 0.5), Is.EqualTo(now.AddSeconds(15)), "capped");
        Assert.That(policy.RetryAt(3, now, 0.5), Is.Null, "out of attempts");
    }

    [TestCase(19, false)]
    [TestCase(20, true)]
    public void DeliveryPolicy_DisablesAfterTheDefaultRun(int failures, bool disable) =>
        Assert.That(new WebhookDeliveryPolicy().ShouldDisable(failures), Is.EqualTo(disable));
}
