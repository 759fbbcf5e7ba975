using System.Security.Cryptography;
using JobQueue.Storage.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Webhook.Dispatcher.Delivery;

/// <summary>
/// Webhook signing secrets at rest: protected with ASP.NET Core Data Protection before they are stored, and
/// unprotected only to sign a delivery. The key ring is a directory (<c>WEBHOOK_SECRET_KEYS_DIR</c>) that every
/// replica shares: a dispatcher with another ring cannot read the secrets, and says so.
/// </summary>
public sealed class SigningSecrets(IDataProtectionProvider provider)
{
    /// <summary>Versioned, so a later change of scheme can read the old form under its own purpose.</summary>
    public const string Purpose = "JobQueue.Webhooks.SigningSecret.v1";

    /// <summary>Set explicitly: by default it is derived from the content root, which differs between hosts and replicas.</summary>
    public const string ApplicationName = "JobQueue.Webhook.Dispatcher";

    public const string KeysDirectorySetting = "WEBHOOK_SECRET_KEYS_DIR";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(string secret) => _protector.Protect(secret);

    /// <summary>The plain secret; a <see cref="SigningSecretUnreadableException"/> when this key ring did not protect it.</summary>
    public string Unprotect(string protectedSecret)
    {
        try
        {
            return _protector.Unprotect(protectedSecret);
        }
        catch (CryptographicException ex)
        {
            throw new SigningSecretUnreadableException(
                $"the signing secret cannot be decrypted with this dispatcher's key ring ({KeysDirectorySetting}): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The key directory: the setting; in Development when unset, a stable folder under the user's local application
    /// data (not temp, so a restart still reads the secrets it wrote); elsewhere unset is a start-up error.
    /// </summary>
    public static string KeysDirectory(string? configured, bool isDevelopment)
    {
        if (configured is { Length: > 0 })
        {
            return configured;
        }

        if (!isDevelopment)
        {
            throw new InvalidOperationException(
                $"{KeysDirectorySetting} is required outside Development: the directory of the Data Protection key ring that encrypts webhook signing secrets (shared by every dispatcher replica).");
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "JobQueue", "webhook-secret-keys");
    }
}

/// <summary>A stored signing secret that this dispatcher's key ring cannot decrypt.</summary>
public sealed class SigningSecretUnreadableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// At start, before the delivery loop: re-protects every secret still stored plain (from before migration 0008) by a
/// compare-and-set on the plain value, so a half-migrated database ends with no plain secret and nothing else ever
/// reads one.
/// </summary>
public sealed class PlainSecretProtector(WebhookStore store, SigningSecrets secrets, ILogger<PlainSecretProtector> logger) : IHostedService
{
    private const int BatchSize = 500;

    /// <summary>
    /// Retries while Postgres is briefly unreachable: this runs before the host starts, and a throw here ended the
    /// process (exit 134) when a loaded machine made the first connection time out, so the gateway, waiting for this
    /// service, never became healthy (seen twice in one full test run with three builds beside it).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ProtectAllAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(10, attempt));
                logger.PlainSecretsRetry(ex.Message, delay);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    private async Task ProtectAllAsync(CancellationToken cancellationToken)
    {
        var protectedCount = 0;
        while (true)
        {
            var plain = await store.WebhooksListPlainSecretsAsync(BatchSize, cancellationToken);
            foreach (var row in plain)
            {
                // False: a PATCH changed the secret since the read; its new protected secret stands and the plain is gone.
                if (await store.WebhooksProtectPlainSecretAsync(row.Id, row.Secret, secrets.Protect(row.Secret), cancellationToken))
                {
                    protectedCount++;
                }
            }

            if (plain.Count < BatchSize)
            {
                break;
            }
        }

        if (protectedCount > 0)
        {
            logger.PlainSecretsProtected(protectedCount);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
