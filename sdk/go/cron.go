package jobqueue

import "context"

// ListCron returns the caller's cron schedules, by name.
func (c *Client) ListCron(ctx context.Context) ([]*CronSchedule, error) {
	var cs []*CronSchedule
	if _, err := c.do(ctx, get("/api/v1/cron", nil), &cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// CreateCron makes a schedule; an expression the server refuses answers 422 with the parser's reason, a name the
// tenant already uses 409.
func (c *Client) CreateCron(ctx context.Context, req CreateCronRequest) (*CronSchedule, error) {
	var s CronSchedule
	if _, err := c.do(ctx, post("/api/v1/cron", req), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetCron returns one schedule.
func (c *Client) GetCron(ctx context.Context, id string) (*CronSchedule, error) {
	var s CronSchedule
	if _, err := c.do(ctx, get("/api/v1/cron/"+seg(id), nil), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// UpdateCron changes the fields set in req and returns the schedule.
func (c *Client) UpdateCron(ctx context.Context, id string, req UpdateCronRequest) (*CronSchedule, error) {
	var s CronSchedule
	if _, err := c.do(ctx, patch("/api/v1/cron/"+seg(id), req), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteCron deletes a schedule (the jobs it already fired stay).
func (c *Client) DeleteCron(ctx context.Context, id string) error {
	_, err := c.do(ctx, del("/api/v1/cron/"+seg(id), nil), nil)
	return err
}
