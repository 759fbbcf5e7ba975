using System.Net;
using Dapper;
using NUnit.Framework;

namespace Billing.Service.Tests;

/// <summary><c>/portal/checkout</c> and <c>/portal/customer-portal</c> against the fake Stripe.</summary>
public sealed class CheckoutTests : StripeFixture
{
    private async Task<string?> StoredCustomerAsync(Guid userId)
    {
        await using var conn = await Db.OpenConnectionAsync(Ct);
        return await conn.QuerySingleAsync<string?>("SELECT stripe_customer_id FROM users WHERE id = @userId", new { userId });
    }

    private List<StripeRequest> CustomerRequestsOf(Account account) =>
        Stripe.RequestsTo("/v1/customers").Where(r => r.Form.GetValueOrDefault("metadata[user_id]") == account.UserId.ToString()).ToList();

    private List<StripeRequest> SessionRequestsOf(Account account) =>
        Stripe.RequestsTo("/v1/checkout/sessions").Where(r => r.Form.GetValueOrDefault("client_reference_id") == account.UserId.ToString()).ToList();

    [Test]
    public async Task Checkout_CreatesASubscriptionSession_ForTheTiersPrice_TheUsersCustomerAndTheUser()
    {
        var account = await RegisterAsync();

        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        var customers = CustomerRequestsOf(account);
        Assert.That(customers, Has.Count.EqualTo(1));
        Assert.That(customers[0].Form["email"], Is.EqualTo(account.Email));
        Assert.That(customers[0].Authorization, Is.EqualTo("Bearer " + SecretKey));
        var customer = await StoredCustomerAsync(account.UserId);
        Assert.That(customer, Does.StartWith("cus_"), "the customer is stored on the user");

        var sessions = SessionRequestsOf(account);
        Assert.That(sessions, Has.Count.EqualTo(1));
        var form = sessions[0].Form;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(form["mode"], Is.EqualTo("subscription"));
            Assert.That(form["line_items[0][price]"], Is.EqualTo(PricePro));
            Assert.That(form["line_items[0][quantity]"], Is.EqualTo("1"));
            Assert.That(form["customer"], Is.EqualTo(customer));
            Assert.That(form["client_reference_id"], Is.EqualTo(account.UserId.ToString()));
            Assert.That(form["metadata[user_id]"], Is.EqualTo(account.UserId.ToString()));
            Assert.That(form["metadata[tier]"], Is.EqualTo("pro"));
            Assert.That(form["success_url"], Does.StartWith(BaseUrl + "/billing?checkout=success"));
            Assert.That(form["cancel_url"], Does.StartWith(BaseUrl + "/billing"));
        }

        Assert.That(body["data"]!["url"]!.GetValue<string>(), Does.Match("^https://checkout\\.stripe\\.com/c/pay/cs_test_"));
    }

    [Test]
    public async Task Checkout_MakesTheCustomerOnce_AndAcceptsAnAccountKeyAndItsKeyId()
    {
        var account = await RegisterAsync();
        var (first, _) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");

        var (second, body) = await SendAsync(Client(Billing, key: account.Key), HttpMethod.Post, "/portal/checkout",
            $$"""{"tier":"business","key_id":"{{account.KeyId}}"}""");

        Assert.That((first, second), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)), body.ToJsonString());
        Assert.That(CustomerRequestsOf(account), Has.Count.EqualTo(1), "a second checkout reuses the stored customer");
        var sessions = SessionRequestsOf(account);
        Assert.That(sessions.Select(s => s.Form["customer"]).Distinct().ToList(), Is.EqualTo(new[] { await StoredCustomerAsync(account.UserId) }));
        Assert.That(sessions[^1].Form["line_items[0][price]"], Is.EqualTo(PriceBusiness));
        Assert.That(sessions[^1].Form["metadata[key_id]"], Is.EqualTo(account.KeyId.ToString()));
    }

    [TestCase("""{"tier":"free"}""", HttpStatusCode.UnprocessableEntity, "'tier' must be 'pro' or 'business', got 'free'")]
    [TestCase("""{"tier":"gold"}""", HttpStatusCode.UnprocessableEntity, "'tier' must be 'pro' or 'business', got 'gold'")]
    [TestCase("""{"tier":"Pro"}""", HttpStatusCode.UnprocessableEntity, "'tier' must be 'pro' or 'business', got 'Pro'")]
    [TestCase("""{}""", HttpStatusCode.UnprocessableEntity, "'tier' is required")]
    [TestCase("""{"tier":"pro","key_id":"nope"}""", HttpStatusCode.UnprocessableEntity, "'key_id' must be a UUID, got 'nope'")]
    [TestCase("""{"tier":"pro","key_id":"00000000-0000-0000-0000-000000000001"}""", HttpStatusCode.NotFound, "key 00000000-0000-0000-0000-000000000001 not found")]
    [TestCase("""{"tier":"pro","coupon":"FREE"}""", HttpStatusCode.BadRequest, "unknown field 'coupon'")]
    public async Task Checkout_RefusesBadInput_WithoutCallingStripe(string json, HttpStatusCode expected, string message)
    {
        var account = await RegisterAsync();

        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/checkout", json);

        Assert.That((status, Envelope.Error(body)), Is.EqualTo((expected, (string?)message)));
        Assert.That(CustomerRequestsOf(account), Is.Empty);
        Assert.That(await StoredCustomerAsync(account.UserId), Is.Null);
    }

    [Test]
    public async Task Checkout_Answers401_WithoutCredentials_And403_ForTheStaticKey()
    {
        var (anonymous, _) = await SendAsync(Client(Billing), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");
        var (staticKey, _) = await SendAsync(Client(Billing, key: StaticKey), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");
        Assert.That((anonymous, staticKey), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden)));
    }

    [Test]
    public async Task CustomerPortal_Answers400_BeforeTheFirstCheckout_ThenAPortalSessionForTheCustomer()
    {
        var account = await RegisterAsync();
        var client = Client(Billing, bearer: account.Token);

        var (before, refused) = await SendAsync(client, HttpMethod.Post, "/portal/customer-portal");
        Assert.That(before, Is.EqualTo(HttpStatusCode.BadRequest), refused.ToJsonString());
        Assert.That(Envelope.Error(refused), Does.StartWith("this account has no billing history yet"));

        await SendAsync(client, HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");
        var (after, body) = await SendAsync(client, HttpMethod.Post, "/portal/customer-portal");

        Assert.That(after, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        Assert.That(body["data"]!["url"]!.GetValue<string>(), Does.StartWith("https://billing.stripe.com/p/session/"));
        var customer = await StoredCustomerAsync(account.UserId);
        var portal = Stripe.RequestsTo("/v1/billing_portal/sessions").Where(r => r.Form["customer"] == customer).ToList();
        Assert.That(portal, Has.Count.EqualTo(1));
        Assert.That(portal[0].Form["return_url"], Is.EqualTo(BaseUrl + "/billing"));
    }
}

/// <summary>A Stripe error reaches the caller as 502 with Stripe's message (own fixture: the failure is switched on for all calls).</summary>
public sealed class CheckoutStripeFailureTests : StripeFixture
{
    [Test]
    public async Task Checkout_Answers502WithStripesMessage_WhenStripeRefuses_AndStoresNoCustomer()
    {
        var account = await RegisterAsync();
        Stripe.Failure = (HttpStatusCode.BadRequest, "No such price: 'price_test_pro'");

        var (status, body) = await SendAsync(Client(Billing, bearer: account.Token), HttpMethod.Post, "/portal/checkout", """{"tier":"pro"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadGateway), body.ToJsonString());
        Assert.That(Envelope.Error(body), Is.EqualTo("Stripe could not handle the request: No such price: 'price_test_pro'"));
        await using var conn = await Db.OpenConnectionAsync(Ct);
        Assert.That(await conn.QuerySingleAsync<string?>("SELECT stripe_customer_id FROM users WHERE id = @id", new { id = account.UserId }), Is.Null);
    }
}
