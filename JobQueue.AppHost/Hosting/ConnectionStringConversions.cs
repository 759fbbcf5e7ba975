using System.Globalization;
using Npgsql;

namespace JobQueue.AppHost.Hosting;

/// <summary>The original's environment (DATABASE_DSN as a libpq URL) in the form the .NET clients take.</summary>
internal static class ConnectionStringConversions
{
    /// <summary><c>postgres://user:pass@host:port/db?sslmode=disable</c> → Npgsql keywords; anything else is returned as is.</summary>
    public static string NpgsqlFromLibpq(string dsn)
    {
        if (!dsn.StartsWith("postgres://", StringComparison.Ordinal) && !dsn.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            return dsn;
        }

        var uri = new Uri(dsn);
        var userInfo = uri.UserInfo.Split(':', 2);
        var csb = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Username = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : null,
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv is ["sslmode", var mode])
            {
                csb.SslMode = mode switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new ArgumentException($"DATABASE_DSN: unknown sslmode '{mode}'."),
                };
            }
        }

        return csb.ConnectionString;
    }

    /// <summary>REDIS_ADDR (+ REDIS_PASSWORD) → a StackExchange.Redis configuration string.</summary>
    public static string RedisFromAddress(string address, string? password) =>
        string.IsNullOrEmpty(password) ? address : string.Create(CultureInfo.InvariantCulture, $"{address},password={password}");
}
