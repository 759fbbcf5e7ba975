using System.Security.Cryptography;
using System.Text;

namespace JobQueue.Core.Webhooks;

/// <summary>
/// How a webhook delivery is signed. <c>X-Webhook-Signature: sha256=&lt;hex HMAC-SHA256(secret, raw body)&gt;</c> is the
/// original's header, kept byte for byte so its receivers keep working. It covers no time, so a captured delivery
/// can be replayed for ever; hence <c>X-Webhook-Timestamp</c> (Unix seconds) and
/// <c>X-Webhook-Signature-Timestamped: sha256=&lt;hex HMAC-SHA256(secret, "{timestamp}.{raw body}")&gt;</c>, which a
/// receiver checks with <see cref="WebhookVerifier"/> to refuse old deliveries.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Webhook-Signature";
    public const string TimestampHeader = "X-Webhook-Timestamp";
    public const string TimestampedSignatureHeader = "X-Webhook-Signature-Timestamped";
    /// <summary>The delivery's id: the same on every retry, so a receiver can drop duplicates (delivery is at-least-once).</summary>
    public const string IdHeader = "X-Webhook-Id";
    public const string EventHeader = "X-Webhook-Event";
    public const string UserAgent = "jobqueue-webhook/1.0";
    private const string Prefix = "sha256=";
    /// <summary>The prefix of generated secrets (as Stripe's and Svix's <c>whsec_</c>): says what the string is when it leaks into a log.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The original's signature: <c>sha256=</c> and the lowercase hex HMAC-SHA256 of the raw body.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>The timestamped signature: <c>sha256=</c> and the hex HMAC-SHA256 of <c>"{timestamp}.{raw body}"</c>.</summary>
    public static string SignTimestamped(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        Sign(secret, TimestampedContent(timestamp, body));

    /// <summary>A new secret: <c>whsec_</c> and 32 random bytes (256 bits, the HMAC's block strength) in base64url.</summary>
    public static string GenerateSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[] TimestampedContent(long timestamp, ReadOnlySpan<byte> body)
    {
        var head = Encoding.ASCII.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var content = new byte[head.Length + body.Length];
        head.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(head.Length));
        return content;
    }

    internal static bool Matches(string secret, ReadOnlySpan<byte> content, string? header)
    {
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        // Constant time: a byte-by-byte early exit would tell an attacker how much of a forged signature is right.
        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), content), given);
    }
}

/// <summary>What <see cref="WebhookVerifier.Verify"/> found.</summary>
public enum WebhookVerification
{
    Valid,
    /// <summary>The signature header is missing or does not match the body.</summary>
    BadSignature,
    /// <summary>The timestamp header is missing or not a number, or the timestamped signature does not match.</summary>
    BadTimestampedSignature,
    /// <summary>Correctly signed but older (or newer) than the tolerance: a replay, or a clock far off.</summary>
    OutsideTolerance,
}

/// <summary>
/// The receiver's side of <see cref="WebhookSignature"/>: both signatures must match the raw body (compared in
/// constant time) and the timestamp must lie within <c>tolerance</c> of now, which refuses a replayed delivery
/// once the window has passed. Receivers should also drop a repeated <c>X-Webhook-Id</c> inside the window.
/// </summary>
public static class WebhookVerifier
{
    /// <summary>The default window: wide enough for clock skew and a slow network, narrow enough to bound replays.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    public static WebhookVerification Verify(
        string secret, ReadOnlySpan<byte> body, string? signature, string? timestamp, string? timestampedSignature, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!WebhookSignature.Matches(secret, body, signature))
        {
            return WebhookVerification.BadSignature;
        }

        if (!long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ts)
            || !WebhookSignature.Matches(secret, WebhookSignature.TimestampedContent(ts, body), timestampedSignature))
        {
            return WebhookVerification.BadTimestampedSignature;
        }

        return Math.Abs(now.ToUnixTimeSeconds() - ts) <= tolerance.TotalSeconds ? WebhookVerification.Valid : WebhookVerification.OutsideTolerance;
    }
}
