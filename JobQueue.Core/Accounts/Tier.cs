namespace JobQueue.Core.Accounts;

/// <summary>A plan: how many jobs a key may enqueue per calendar month (UTC).</summary>
public enum Tier
{
    /// <summary>1,000 jobs a month, no charge.</summary>
    Free,
    /// <summary>100,000 jobs a month.</summary>
    Pro,
    /// <summary>No monthly limit.</summary>
    Business,
}

/// <summary>Wire names and monthly limits of <see cref="Tier"/>.</summary>
public static class Tiers
{
    /// <summary>The <c>jobs_limit</c> the API shows for an unlimited tier (as the original does).</summary>
    public const long Unlimited = -1;

    /// <summary>Every wire name, cheapest first.</summary>
    public static IReadOnlyList<string> All { get; } = ["free", "pro", "business"];

    /// <summary>Jobs per month, or <see cref="Unlimited"/>.</summary>
    public static long JobsLimit(this Tier tier) => tier switch
    {
        Tier.Free => 1_000,
        Tier.Pro => 100_000,
        Tier.Business => Unlimited,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "unknown tier"),
    };

    /// <summary>The name stored in the database and shown by the API: <c>free</c>, <c>pro</c>, <c>business</c>.</summary>
    public static string ToWire(this Tier tier) => tier switch
    {
        Tier.Free => "free",
        Tier.Pro => "pro",
        Tier.Business => "business",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "unknown tier"),
    };

    /// <summary>Reads a wire name (exact, lowercase).</summary>
    public static bool TryParse(string? wire, out Tier tier)
    {
        switch (wire)
        {
            case "free": tier = Tier.Free; return true;
            case "pro": tier = Tier.Pro; return true;
            case "business": tier = Tier.Business; return true;
            default: tier = Tier.Free; return false;
        }
    }

    /// <summary>Reads a wire name the database holds (its CHECK guarantees one of the three).</summary>
    public static Tier Parse(string wire) =>
        TryParse(wire, out var t) ? t : throw new FormatException($"unknown tier '{wire}': use one of {string.Join(", ", All)}");
}
