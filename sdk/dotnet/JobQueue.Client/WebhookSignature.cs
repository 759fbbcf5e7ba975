using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace JobQueue.Client;

/// <summary>
/// Checks that a webhook delivery came from JobQueue and is fresh. Each delivery carries
/// <c>X-Webhook-Signature: sha256=&lt;hex HMAC-SHA256(secret, raw body)&gt;</c>, <c>X-Webhook-Timestamp</c> (Unix
/// seconds when the attempt was signed) and <c>X-Webhook-Signature-Timestamped: sha256=&lt;hex HMAC-SHA256(secret,
/// "{timestamp}.{raw body}")&gt;</c>. The first alone can be replayed for ever; the second binds the time, so an old
/// capture is refused once it falls outside the tolerance.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Webhook-Signature";
    public const string TimestampHeader = "X-Webhook-Timestamp";
    public const string TimestampedSignatureHeader = "X-Webhook-Signature-Timestamped";
    /// <summary>The delivery's id, the same on every retry: drop one already handled (delivery is at least once).</summary>
    public const string IdHeader = "X-Webhook-Id";
    public const string EventHeader = "X-Webhook-Event";

    /// <summary>Wide enough for clock skew and a slow network, narrow enough to bound a replay.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const string Prefix = "sha256=";

    /// <summary>
    /// Whether both signatures match the raw <paramref name="body"/> (compared in constant time) and the timestamp lies
    /// within <paramref name="tolerance"/> (<see cref="DefaultTolerance"/>) of <paramref name="now"/> (the clock).
    /// <paramref name="header"/> reads a request header by name, e.g. <c>name => request.Headers[name]</c>.
    /// </summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, Func<string, string?> header, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(header);
        var key = Encoding.UTF8.GetBytes(secret);
        var timestamp = header(TimestampHeader);
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || !Matches(key, body, header(SignatureHeader)))
        {
            return false;
        }

        var head = Encoding.ASCII.GetBytes(timestamp + ".");
        var timestamped = new byte[head.Length + body.Length];
        head.CopyTo(timestamped, 0);
        body.CopyTo(timestamped.AsSpan(head.Length));
        var age = Math.Abs((now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() - seconds);
        return Matches(key, timestamped, header(TimestampedSignatureHeader)) && age <= (tolerance ?? DefaultTolerance).TotalSeconds;
    }

    private static bool Matches(byte[] key, ReadOnlySpan<byte> content, string? header)
    {
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal) || header.Length != Prefix.Length + 64)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        // Constant time: an early exit at the first wrong byte would tell a forger how much of a signature is right.
        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, content), given);
    }
}
