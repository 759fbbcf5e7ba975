package jobqueue

import "context"

// ListWebhooks returns the caller's webhooks, newest first (never their secrets).
func (c *Client) ListWebhooks(ctx context.Context) ([]*Webhook, error) {
	var ws []*Webhook
	if _, err := c.do(ctx, get("/api/v1/webhooks", nil), &ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// CreateWebhook subscribes a URL; when req.Secret is empty the answer's Secret holds the generated one, shown once.
func (c *Client) CreateWebhook(ctx context.Context, req CreateWebhookRequest) (*Webhook, error) {
	var w Webhook
	if _, err := c.do(ctx, post("/api/v1/webhooks", req), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// GetWebhook returns one webhook.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	if _, err := c.do(ctx, get("/api/v1/webhooks/"+seg(id), nil), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// UpdateWebhook changes the fields set in req and returns the webhook.
func (c *Client) UpdateWebhook(ctx context.Context, id string, req UpdateWebhookRequest) (*Webhook, error) {
	var w Webhook
	if _, err := c.do(ctx, patch("/api/v1/webhooks/"+seg(id), req), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// DeleteWebhook deletes a webhook and its delivery log.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := c.do(ctx, del("/api/v1/webhooks/"+seg(id), nil), nil)
	return err
}

// ListWebhookDeliveries returns one page of a webhook's deliveries, newest first, each with its attempts.
func (c *Client) ListWebhookDeliveries(ctx context.Context, id string, limit, offset int) (Page[*WebhookDelivery], error) {
	var ds []*WebhookDelivery
	meta, err := c.do(ctx, get("/api/v1/webhooks/"+seg(id)+"/deliveries", pageQuery(limit, offset)), &ds)
	if err != nil {
		return Page[*WebhookDelivery]{}, err
	}
	return Page[*WebhookDelivery]{Items: ds, TotalCount: meta.TotalCount, Limit: meta.Limit, Offset: meta.Offset, HasMore: meta.HasMore}, nil
}

// TestWebhook queues a signed webhook.test delivery to the webhook.
func (c *Client) TestWebhook(ctx context.Context, id string) (*WebhookTest, error) {
	var t WebhookTest
	if _, err := c.do(ctx, post("/api/v1/webhooks/"+seg(id)+"/test", nil), &t); err != nil {
		return nil, err
	}
	return &t, nil
}
