using System.Security.Cryptography;

namespace JobQueue.Testing;

/// <summary>Key prefixes that keep tests sharing one Redis apart (the storage code accepts a key prefix).</summary>
public static class TestRedisPrefix
{
    /// <summary>A unique prefix such as <c>t3f9a01bc:</c>.</summary>
    public static string New() => $"t{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}:";
}
