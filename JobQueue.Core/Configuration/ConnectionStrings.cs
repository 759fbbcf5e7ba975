using System.Globalization;

namespace JobQueue.Core.Configuration;

/// <summary>Turns the original's connection settings (a libpq URL in <c>DATABASE_DSN</c>, <c>REDIS_ADDR</c>…) into the forms Npgsql and StackExchange.Redis read.</summary>
public static class ConnectionStrings
{
    /// <summary>
    /// Accepts an Npgsql keyword string as is, or converts a <c>postgres://user:pass@host:port/db?sslmode=disable</c> URL.
    /// </summary>
    public static string ToNpgsql(string dsn)
    {
        if (!dsn.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !dsn.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return dsn;
        }

        var uri = new Uri(dsn);
        var parts = new List<string> { $"Host={uri.Host}", $"Port={(uri.Port > 0 ? uri.Port : 5432)}" };
        var db = uri.AbsolutePath.Trim('/');
        if (db.Length > 0) { parts.Add($"Database={Uri.UnescapeDataString(db)}"); }
        if (uri.UserInfo.Length > 0)
        {
            var userInfo = uri.UserInfo.Split(':', 2);
            parts.Add($"Username={Uri.UnescapeDataString(userInfo[0])}");
            if (userInfo.Length > 1) { parts.Add($"Password={Uri.UnescapeDataString(userInfo[1])}"); }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0] == "sslmode" && kv.Length == 2)
            {
                parts.Add("SSL Mode=" + CultureInfo.InvariantCulture.TextInfo.ToTitleCase(kv[1]).Replace("-", "", StringComparison.Ordinal));
            }
        }

        return string.Join(';', parts);
    }

    /// <summary>Builds a StackExchange.Redis configuration string from the original's REDIS_* settings.</summary>
    public static string RedisFromParts(string addr, string? password, string? db, bool tls)
    {
        var s = addr;
        if (!string.IsNullOrEmpty(password)) { s += ",password=" + password; }
        if (!string.IsNullOrEmpty(db)) { s += ",defaultDatabase=" + db; }
        if (tls) { s += ",ssl=true"; }
        return s;
    }
}
