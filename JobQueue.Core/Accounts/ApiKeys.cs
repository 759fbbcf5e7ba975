using System.Security.Cryptography;
using System.Text;

namespace JobQueue.Core.Accounts;

/// <summary>
/// Account API keys: <c>qly_</c> followed by 32 lowercase hex digits (16 random bytes), the original's format. Only
/// the SHA-256 hex digest is stored; the first 8 characters (<c>qly_1a2b</c>) are kept as a visible prefix.
/// A plain SHA-256 (no salt, no stretching) is right here: the key carries 128 bits of randomness, so there is
/// nothing to brute-force, and a lookup by digest stays one index probe per request.
/// </summary>
public static class ApiKeys
{
    /// <summary>The marker every account key starts with.</summary>
    public const string Marker = "qly_";

    /// <summary>Length of a whole key: marker + 32 hex digits.</summary>
    public const int Length = 36;

    /// <summary>Length of the visible prefix.</summary>
    public const int PrefixLength = 8;

    /// <summary>A new random key (RandomNumberGenerator).</summary>
    public static string Generate() => Marker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>True when <paramref name="value"/> has the shape of an account key (not whether it exists).</summary>
    public static bool LooksLikeKey(string? value)
    {
        if (value is null || value.Length != Length || !value.StartsWith(Marker, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in value.AsSpan(Marker.Length))
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SHA-256 of the UTF-8 text, as 64 lowercase hex digits (also used for password-reset tokens).</summary>
    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>The first <see cref="PrefixLength"/> characters, shown in lists so a user can tell keys apart.</summary>
    public static string Prefix(string key) => key.Length <= PrefixLength ? key : key[..PrefixLength];

    /// <summary>A single-use secret for password-reset links: 32 random bytes as hex.</summary>
    public static string NewResetToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
