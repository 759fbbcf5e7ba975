using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>
/// The HS256 key every service shares to sign (Billing) and check (everyone) login tokens, from <c>JWT_SECRET</c>.
/// Outside Development a missing, short (under 32 bytes: HS256 wants a 256-bit key) or well-known secret stops the
/// service at start: the original shipped <c>change-me-in-production</c> as its default, so anyone could mint tokens.
/// </summary>
public sealed class JwtSettings
{
    /// <summary>The original's default; refused everywhere.</summary>
    public const string KnownDefault = "change-me-in-production";

    /// <summary>Used in Development when no secret is given (the AppHost passes a random one it keeps in its data folder).</summary>
    public const string DevelopmentSecret = "jobqueue-development-only-jwt-secret-0123456789";

    public const int MinSecretBytes = 32;
    public const string Issuer = "jobqueue";
    public const string Audience = "jobqueue";

    /// <summary>The claim carrying the user's token version (bumped on password reset to revoke older tokens).</summary>
    public const string VersionClaim = "ver";

    /// <summary>How long a login token lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    private JwtSettings(byte[] key) => Key = new SymmetricSecurityKey(key);

    public SymmetricSecurityKey Key { get; }

    /// <summary>Reads <c>JWT_SECRET</c> (or <c>JobQueue:JwtSecret</c>); throws with the reason when it is unusable.</summary>
    /// <exception cref="InvalidOperationException">The secret is missing outside Development, too short, or the known default.</exception>
    public static JwtSettings From(IConfiguration config, IHostEnvironment environment)
    {
        var secret = config["JWT_SECRET"] is { Length: > 0 } s ? s : config["JobQueue:JwtSecret"];
        if (string.IsNullOrEmpty(secret))
        {
            if (environment.IsDevelopment())
            {
                return new JwtSettings(Encoding.UTF8.GetBytes(DevelopmentSecret));
            }

            throw new InvalidOperationException(
                $"JWT_SECRET is not set: every service needs the same secret of at least {MinSecretBytes} bytes to sign and check login tokens " +
                "(generate one with: openssl rand -hex 32).");
        }

        if (secret == KnownDefault)
        {
            throw new InvalidOperationException($"JWT_SECRET is '{KnownDefault}', a published default: set a random secret of at least {MinSecretBytes} bytes (openssl rand -hex 32).");
        }

        var bytes = Encoding.UTF8.GetBytes(secret);
        if (bytes.Length < MinSecretBytes)
        {
            throw new InvalidOperationException($"JWT_SECRET is {bytes.Length} bytes long: it must be at least {MinSecretBytes} bytes (openssl rand -hex 32).");
        }

        return new JwtSettings(bytes);
    }

    /// <summary>What the JwtBearer handler checks: signature (HS256 only), issuer, audience, lifetime.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidateIssuerSigningKey = true,
        IssuerSigningKey = Key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
    };
}

/// <summary>Signs login tokens: claims <c>sub</c> (user id), <c>email</c>, <c>ver</c> (token version), <c>exp</c> in 24 h.</summary>
public sealed class JwtIssuer(JwtSettings settings, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new();

    public (string Token, DateTimeOffset ExpiresAt) Issue(Guid userId, string email, int tokenVersion)
    {
        var now = time.GetUtcNow();
        var expires = now + JwtSettings.Lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = JwtSettings.Issuer,
            Audience = JwtSettings.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, userId.ToString("D")),
                new Claim(JwtRegisteredClaimNames.Email, email),
                new Claim(JwtSettings.VersionClaim, tokenVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer32),
            ]),
            SigningCredentials = new SigningCredentials(settings.Key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }
}
