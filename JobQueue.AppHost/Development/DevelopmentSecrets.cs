using System.Security.Cryptography;

namespace JobQueue.AppHost.Development;

/// <summary>
/// Random secrets made once for a Development install and kept in its data folder (owner-only file mode), so that
/// login tokens and the demo account survive restarts while nothing secret is written in the repository.
/// </summary>
internal static class DevelopmentSecrets
{
    /// <summary>The JWT_SECRET every service gets in Development when none is set: 32 random bytes as hex.</summary>
    public static string JwtSecret(string dataDirectory) => ReadOrCreate(Path.Combine(dataDirectory, "jwt-secret"), 32);

    /// <summary>The demo account's password.</summary>
    public static string DemoPassword(string dataDirectory) => ReadOrCreate(Path.Combine(dataDirectory, "demo-password"), 9);

    private static string ReadOrCreate(string path, int bytes)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(value);
        }

        return value;
    }
}
