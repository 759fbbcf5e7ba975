package jobqueue

import "context"

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Register creates an account (free tier) and returns a login token and its first key, shown once. It needs no
// credentials: use the answer with WithAPIKey or WithToken.
func (c *Client) Register(ctx context.Context, email, password string) (*Registration, error) {
	var r Registration
	if _, err := c.do(ctx, post("/auth/register", credentials{email, password}), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Login returns a login token (24 h) and the account's keys.
func (c *Client) Login(ctx context.Context, email, password string) (*Session, error) {
	var s Session
	if _, err := c.do(ctx, post("/auth/login", credentials{email, password}), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ForgotPassword asks for a reset link; the answer is the same whether or not the account exists.
func (c *Client) ForgotPassword(ctx context.Context, email string) (string, error) {
	return c.message(ctx, post("/auth/forgot-password", map[string]string{"email": email}))
}

// ResetPassword sets a new password with a reset token; every earlier login token stops working.
func (c *Client) ResetPassword(ctx context.Context, token, password string) (string, error) {
	return c.message(ctx, post("/auth/reset-password", map[string]string{"token": token, "password": password}))
}

func (c *Client) message(ctx context.Context, k call) (string, error) {
	var m struct {
		Message string `json:"message"`
	}
	_, err := c.do(ctx, k, &m)
	return m.Message, err
}

// ListKeys returns the account's keys, oldest first (403 for the static API_KEY and the ADMIN_KEY).
func (c *Client) ListKeys(ctx context.Context) ([]*APIKey, error) {
	var ks []*APIKey
	if _, err := c.do(ctx, get("/api/v1/keys", nil), &ks); err != nil {
		return nil, err
	}
	return ks, nil
}

// CreateKey makes a key with the account's tier; its Key is shown this once.
func (c *Client) CreateKey(ctx context.Context, name string) (*CreatedAPIKey, error) {
	var k CreatedAPIKey
	if _, err := c.do(ctx, post("/api/v1/keys", map[string]string{"name": name}), &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// DeleteKey deletes one of the account's keys; it stops working in every service at once.
func (c *Client) DeleteKey(ctx context.Context, id string) error {
	_, err := c.do(ctx, del("/api/v1/keys/"+seg(id), nil), nil)
	return err
}

// GetUsage returns this month's usage of the caller's account (every key and login token share it).
func (c *Client) GetUsage(ctx context.Context) (*Usage, error) {
	return c.usage(ctx, "/api/v1/usage")
}

// GetPortalUsage returns the account's usage naming its primary key; it needs a login token (WithToken).
func (c *Client) GetPortalUsage(ctx context.Context) (*Usage, error) {
	return c.usage(ctx, "/portal/usage")
}

func (c *Client) usage(ctx context.Context, path string) (*Usage, error) {
	var u Usage
	if _, err := c.do(ctx, get(path, nil), &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// RegenerateKey disables the account's primary key and returns its replacement, shown once; it needs a login
// token (WithToken).
func (c *Client) RegenerateKey(ctx context.Context) (*CreatedAPIKey, error) {
	var k CreatedAPIKey
	if _, err := c.do(ctx, post("/portal/regenerate-key", nil), &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// Checkout starts a Stripe Checkout for the tier "pro" or "business" and returns the page to open (503 while
// billing is not configured on the server). keyID may be empty.
func (c *Client) Checkout(ctx context.Context, tier, keyID string) (string, error) {
	body := map[string]string{"tier": tier}
	if keyID != "" {
		body["key_id"] = keyID
	}
	return c.url(ctx, post("/portal/checkout", body))
}

// CustomerPortal returns the page of Stripe's customer portal (change plan, cancel, invoices).
func (c *Client) CustomerPortal(ctx context.Context) (string, error) {
	return c.url(ctx, post("/portal/customer-portal", nil))
}

func (c *Client) url(ctx context.Context, k call) (string, error) {
	var u struct {
		URL string `json:"url"`
	}
	_, err := c.do(ctx, k, &u)
	return u.URL, err
}
