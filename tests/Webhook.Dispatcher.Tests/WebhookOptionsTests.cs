using JobQueue.Core.Net;
using NUnit.Framework;
using Webhook.Dispatcher.Delivery;

namespace Webhook.Dispatcher.Tests;

/// <summary>The dispatcher's settings: defaults, the original's duration syntax, and refusals that name the setting.</summary>
public sealed class WebhookOptionsTests
{
    private static WebhookOptions From(params (string Key, string Value)[] values) =>
        WebhookOptions.From(key => values.FirstOrDefault(v => v.Key == key).Value);

    [Test]
    public void Defaults_ArePublicOnly_TenSecondTimeout_TwelveAttempts_DisableAfterTwenty()
    {
        var o = From();
        Assert.That((o.PrivateAddresses, o.Timeout, o.Lease, o.Policy.MaxAttempts, o.Policy.DisableAfterConsecutiveFailures, o.Policy.Backoff.BaseDelay),
            Is.EqualTo((PrivateAddressAccess.None, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), 12, 20, TimeSpan.FromSeconds(10))));
    }

    [Test]
    public void Settings_AreRead()
    {
        var o = From(("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "loopback"), ("WEBHOOK_TIMEOUT", "2s"), ("WEBHOOK_RETRY_BASE_DELAY", "250ms"),
            ("WEBHOOK_MAX_ATTEMPTS", "3"), ("WEBHOOK_DISABLE_AFTER", "0"), ("WEBHOOK_DELIVERY_RETENTION", "0"));
        Assert.That((o.PrivateAddresses, o.Timeout, o.Lease, o.Policy.Backoff.BaseDelay, o.Policy.MaxAttempts, o.Policy.DisableAfterConsecutiveFailures, o.DeliveryRetention),
            Is.EqualTo((PrivateAddressAccess.Loopback, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250), 3, 0, TimeSpan.Zero)));
    }

    [Test]
    public void TheDefaultLease_OutlivesALongTimeout() =>
        Assert.That(From(("WEBHOOK_TIMEOUT", "20s")).Lease, Is.EqualTo(TimeSpan.FromSeconds(60)));

    [TestCase("WEBHOOK_LEASE", "5s", "must be longer than WEBHOOK_TIMEOUT")]
    [TestCase("WEBHOOK_TIMEOUT", "soon", "WEBHOOK_TIMEOUT")]
    [TestCase("WEBHOOK_MAX_ATTEMPTS", "0", "WEBHOOK_MAX_ATTEMPTS='0' must be an integer of at least 1")]
    [TestCase("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "yes", "WEBHOOK_ALLOW_PRIVATE_ADDRESSES='yes' must be true, loopback or false")]
    public void ABadValue_FailsTheStart_NamingTheSetting(string key, string value, string message) =>
        Assert.That(() => From((key, value)), Throws.TypeOf<FormatException>().With.Message.Contains(message));
}
