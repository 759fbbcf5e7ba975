namespace JobQueue.Core.Accounts;

/// <summary>What makes an acceptable email, password and key name.</summary>
public static class AccountRules
{
    /// <summary>Shortest accepted password.</summary>
    public const int MinPasswordLength = 8;

    /// <summary>Longest accepted password: hashing is deliberately slow, so an unbounded one invites abuse.</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>Longest accepted email (RFC 5321 path limit).</summary>
    public const int MaxEmailLength = 254;

    /// <summary>Longest accepted key name.</summary>
    public const int MaxKeyNameLength = 100;

    /// <summary>
    /// Trims and lowercases an email, so <c>Ada@Example.com</c> and <c>ada@example.com</c> are one account.
    /// Lowercasing the local part is not strictly RFC-correct, but every mail provider in use treats it so, and
    /// two accounts differing only in case are a support problem rather than a feature.
    /// </summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>The reason <paramref name="email"/> (already normalized) is refused, or null.</summary>
    public static string? EmailError(string email)
    {
        if (email.Length == 0)
        {
            return "'email' is required";
        }

        if (email.Length > MaxEmailLength)
        {
            return $"'email' must be at most {MaxEmailLength} characters";
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1 || email.AsSpan(at + 1).IndexOf('.') < 1
            || email.EndsWith('.') || email.Any(char.IsWhiteSpace))
        {
            return $"'email' is not a valid address: '{email}'";
        }

        return null;
    }

    /// <summary>The reason <paramref name="password"/> is refused, or null.</summary>
    public static string? PasswordError(string password, string field = "password") =>
        password.Length < MinPasswordLength ? $"'{field}' must be at least {MinPasswordLength} characters"
        : password.Length > MaxPasswordLength ? $"'{field}' must be at most {MaxPasswordLength} characters"
        : null;

    /// <summary>The reason a key name is refused, or null.</summary>
    public static string? KeyNameError(string name) =>
        name.Trim().Length == 0 ? "'name' must not be empty"
        : name.Length > MaxKeyNameLength ? $"'name' must be at most {MaxKeyNameLength} characters"
        : null;
}
