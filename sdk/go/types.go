package jobqueue

import (
	"encoding/json"
	"time"
)

// Job statuses.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusDead      = "dead"
	StatusCancelled = "cancelled"
)

// Queues.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// Job is a job as the API shows it.
type Job struct {
	ID             string            `json:"id"`
	Type           string            `json:"type"`
	Payload        json.RawMessage   `json:"payload"`
	Priority       int               `json:"priority"`
	Status         string            `json:"status"`
	Attempts       int               `json:"attempts"`
	MaxAttempts    int               `json:"max_attempts"`
	QueueName      string            `json:"queue_name"`
	ScheduledAt    time.Time         `json:"scheduled_at"`
	CreatedAt      time.Time         `json:"created_at"`
	StartedAt      *time.Time        `json:"started_at"`
	CompletedAt    *time.Time        `json:"completed_at"`
	WorkerID       *string           `json:"worker_id"`
	ErrorMessage   *string           `json:"error_message"`
	Result         json.RawMessage   `json:"result"` // JSON null until the job has a result
	APIKeyID       *string           `json:"api_key_id"`
	ExpiresAt      *time.Time        `json:"expires_at"`
	Tags           map[string]string `json:"tags"`
	TimeoutSeconds *int              `json:"timeout_seconds"`
	TTLSeconds     *int              `json:"ttl_seconds"`
	RequeuedFrom   *string           `json:"requeued_from"`
	Tenant         string            `json:"tenant"`
	TraceID        *string           `json:"trace_id"`
}

// EnqueueRequest is a job to enqueue; only Type is required, the server fills the defaults (priority 5,
// 5 attempts, queue "default", due now).
type EnqueueRequest struct {
	Type string `json:"type"`
	// Payload is any value that encodes as a JSON object: a map, a struct or a json.RawMessage.
	Payload        any               `json:"payload,omitempty"`
	Priority       int               `json:"priority,omitempty"`     // 1–10
	MaxAttempts    int               `json:"max_attempts,omitempty"` // 1–100
	QueueName      string            `json:"queue_name,omitempty"`   // critical, default or bulk
	ScheduledAt    *time.Time        `json:"scheduled_at,omitempty"`
	TTLSeconds     *int              `json:"ttl_seconds,omitempty"` // remove the job this long after it ends
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// ListJobsParams filters and pages GET /api/v1/jobs.
type ListJobsParams struct {
	Status string // pending | running | completed | failed | dead | cancelled
	Type   string
	Queue  string
	Tags   map[string]string // every tag must match
	Limit  int               // 20 when 0, at most 100
	Offset int
}

// JobFilter selects the jobs of a cursor listing (Client.Jobs, Client.ListJobsCursor).
type JobFilter struct {
	Status   string
	Type     string
	Queue    string
	Tags     map[string]string
	PageSize int // jobs per request: 20 when 0, at most 100
}

// Page is one page of an offset listing.
type Page[T any] struct {
	Items      []T
	TotalCount int64
	Limit      int
	Offset     int
	HasMore    bool
}

// JobCursorPage is one page of GET /api/v1/jobs/cursor, newest first.
type JobCursorPage struct {
	Items      []*Job  `json:"items"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
	Limit      int     `json:"limit"`
}

// CancelResult is the answer to a cancel: "cancelled" at once for a waiting job; for a running job Status is
// "running" and CancelRequested true (its handler is told, and it ends "cancelled").
type CancelResult struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	CancelRequested bool   `json:"cancel_requested"`
}

// JobAttempt is one attempt to run a job.
type JobAttempt struct {
	Attempt    int        `json:"attempt"`
	WorkerID   string     `json:"worker_id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	DurationMS *float64   `json:"duration_ms"`
	Outcome    string     `json:"outcome"` // running, completed, failed, dead, cancelled or lost
	Error      *string    `json:"error"`
}

// QueueStats is one queue's waiting and running jobs of the caller.
type QueueStats struct {
	Queue   string `json:"queue"`
	Depth   int64  `json:"depth"`
	Running int64  `json:"running"`
}

// UnservedType is a job type with waiting jobs that no live worker serves.
type UnservedType struct {
	Type    string `json:"type"`
	Waiting int64  `json:"waiting"`
}

// Stats is GET /api/v1/stats, scoped to the caller.
type Stats struct {
	TotalJobs     int64          `json:"total_jobs"`
	Pending       int64          `json:"pending"`
	Running       int64          `json:"running"`
	Completed     int64          `json:"completed"`
	Failed        int64          `json:"failed"`
	Dead          int64          `json:"dead"`
	Cancelled     int64          `json:"cancelled"`
	ActiveWorkers int64          `json:"active_workers"`
	JobsPerMinute int64          `json:"jobs_per_minute"`
	FailedRate    float64        `json:"failed_rate"`
	QueueDepth    int64          `json:"queue_depth"`
	DLQCount      int64          `json:"dlq_count"`
	Queues        []QueueStats   `json:"queues"`
	Unserved      int64          `json:"unserved"`
	UnservedTypes []UnservedType `json:"unserved_types"`
}

// DLQEntry is a dead job in the dead-letter queue.
type DLQEntry struct {
	ID                string            `json:"id"`
	JobID             string            `json:"job_id"`
	Type              string            `json:"type"`
	Payload           json.RawMessage   `json:"payload"`
	Priority          int               `json:"priority"`
	QueueName         string            `json:"queue_name"`
	MaxAttempts       int               `json:"max_attempts"`
	TotalAttempts     int               `json:"total_attempts"`
	LastError         *string           `json:"last_error"`
	DiedAt            time.Time         `json:"died_at"`
	OriginalCreatedAt time.Time         `json:"original_created_at"`
	Requeued          bool              `json:"requeued"`
	RequeuedAt        *time.Time        `json:"requeued_at"`
	NewJobID          *string           `json:"new_job_id"`
	APIKeyID          *string           `json:"api_key_id"`
	ExpiresAt         *time.Time        `json:"expires_at"`
	Tags              map[string]string `json:"tags"`
}

// CurrentJob is a job a worker is running now.
type CurrentJob struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// WorkerInfo is a worker process as /api/v1/workers lists it: a built-in one or a remote one on the lease
// protocol (Kind).
type WorkerInfo struct {
	ID            string       `json:"id"`
	Kind          string       `json:"kind"` // built-in or remote
	Types         []string     `json:"types"`
	Host          string       `json:"host"`
	PID           int          `json:"pid"`
	Status        string       `json:"status"`
	Queues        []string     `json:"queues"`
	Concurrency   int          `json:"concurrency"`
	Running       int          `json:"running"`
	JobsProcessed int64        `json:"jobs_processed"`
	JobsFailed    int64        `json:"jobs_failed"`
	StartedAt     time.Time    `json:"started_at"`
	LastSeen      time.Time    `json:"last_seen"`
	CurrentJobs   []CurrentJob `json:"current_jobs"`
}

// Health is GET /health.
type Health struct {
	Status string            `json:"status"` // ok or degraded
	Checks map[string]string `json:"checks"`
	Uptime string            `json:"uptime"`
}

// Webhook is a subscription of a URL to the tenant's job events.
type Webhook struct {
	ID                  string     `json:"id"`
	URL                 string     `json:"url"`
	Events              []string   `json:"events"`
	Enabled             bool       `json:"enabled"`
	CreatedAt           time.Time  `json:"created_at"`
	Description         *string    `json:"description"`
	HasSecret           bool       `json:"has_secret"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	DisabledReason      *string    `json:"disabled_reason"`
	DisabledAt          *time.Time `json:"disabled_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	// Secret is only set in the answer to CreateWebhook without a secret: the generated one, shown this once.
	Secret string `json:"secret,omitempty"`
}

// CreateWebhookRequest subscribes URL; without Events it gets job.completed, job.failed and job.dead, and without
// a Secret one is generated and returned once.
type CreateWebhookRequest struct {
	URL         string   `json:"url"`
	Secret      string   `json:"secret,omitempty"`
	Events      []string `json:"events,omitempty"`
	Enabled     *bool    `json:"enabled,omitempty"`
	Description string   `json:"description,omitempty"`
}

// UpdateWebhookRequest changes the fields that are set; a Secret rotates the signing secret, Enabled true clears
// an automatic disable.
type UpdateWebhookRequest struct {
	URL         *string   `json:"url,omitempty"`
	Events      *[]string `json:"events,omitempty"`
	Secret      *string   `json:"secret,omitempty"`
	Description *string   `json:"description,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
}

// WebhookDeliveryAttempt is one HTTP attempt of a delivery; StatusCode is nil when there was no answer.
type WebhookDeliveryAttempt struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	StatusCode *int      `json:"status_code"`
	LatencyMS  int       `json:"latency_ms"`
	Error      *string   `json:"error"`
	Succeeded  bool      `json:"succeeded"`
}

// WebhookDelivery is one event sent (or being sent) to a webhook.
type WebhookDelivery struct {
	ID            string                   `json:"id"` // sent as X-Webhook-Id
	Event         string                   `json:"event"`
	EventID       string                   `json:"event_id"`
	JobID         *string                  `json:"job_id"`
	Status        string                   `json:"status"` // pending, delivering, succeeded or failed
	Delivered     bool                     `json:"delivered"`
	Attempts      int                      `json:"attempts"`
	NextAttemptAt *time.Time               `json:"next_attempt_at"`
	CreatedAt     time.Time                `json:"created_at"`
	CompletedAt   *time.Time               `json:"completed_at"`
	AttemptLog    []WebhookDeliveryAttempt `json:"attempt_log"`
}

// WebhookTest is the answer to TestWebhook: the delivery queued and the event it carries (webhook.test).
type WebhookTest struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
}

// CronSchedule enqueues a job at each occurrence of its expression, read in its time zone.
type CronSchedule struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	JobType        string            `json:"job_type"`
	CronExpression string            `json:"cron_expression"`
	Timezone       string            `json:"timezone"`
	Payload        json.RawMessage   `json:"payload"`
	QueueName      string            `json:"queue_name"`
	Priority       int               `json:"priority"`
	MaxAttempts    int               `json:"max_attempts"`
	TimeoutSeconds *int              `json:"timeout_seconds"`
	Tags           map[string]string `json:"tags"`
	Enabled        bool              `json:"enabled"`
	NextRunAt      time.Time         `json:"next_run_at"`
	LastRunAt      *time.Time        `json:"last_run_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// CreateCronRequest makes a schedule; Name, JobType and CronExpression (5 fields, or 6 with seconds first) are
// required.
type CreateCronRequest struct {
	Name           string            `json:"name"`
	JobType        string            `json:"job_type"`
	CronExpression string            `json:"cron_expression"`
	Timezone       string            `json:"timezone,omitempty"` // IANA name; UTC when empty
	Payload        any               `json:"payload,omitempty"`
	QueueName      string            `json:"queue_name,omitempty"`
	Priority       int               `json:"priority,omitempty"`
	MaxAttempts    int               `json:"max_attempts,omitempty"`
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	Enabled        *bool             `json:"enabled,omitempty"`
}

// UpdateCronRequest changes the fields that are set (at least one); Enabled false pauses the schedule.
type UpdateCronRequest struct {
	Enabled        *bool   `json:"enabled,omitempty"`
	CronExpression *string `json:"cron_expression,omitempty"`
	Payload        any     `json:"payload,omitempty"`
	QueueName      *string `json:"queue_name,omitempty"`
	Priority       *int    `json:"priority,omitempty"`
	Timezone       *string `json:"timezone,omitempty"`
	Name           *string `json:"name,omitempty"`
	MaxAttempts    *int    `json:"max_attempts,omitempty"`
}

// Deleted is the answer to deleting a schedule, a webhook or a key.
type Deleted struct {
	ID     string `json:"id"`
	Status string `json:"status"` // deleted
}

// User is an account.
type User struct {
	ID        string    `json:"id"` // also the tenant of the account's jobs
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// APIKey is an account key as listed (without the key itself).
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	KeyPrefix string    `json:"key_prefix"`
	Tier      string    `json:"tier"`
	JobsLimit int64     `json:"jobs_limit"` // per month; -1 is unlimited
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
}

// CreatedAPIKey is a key just made: Key is shown this once.
type CreatedAPIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Key       string    `json:"key"`
	KeyPrefix string    `json:"key_prefix"`
	Tier      string    `json:"tier"`
	JobsLimit int64     `json:"jobs_limit"`
	ResetAt   time.Time `json:"reset_at"`
	CreatedAt time.Time `json:"created_at"`
	Warning   string    `json:"warning"`
}

// Registration is the answer to Register: a login token and the account's first key.
type Registration struct {
	Token     string        `json:"token"`
	ExpiresAt time.Time     `json:"expires_at"`
	User      User          `json:"user"`
	APIKey    CreatedAPIKey `json:"api_key"`
}

// Session is the answer to Login: a login token and the account's keys.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
	Keys      []APIKey  `json:"keys"`
}

// Usage is this month's usage of the caller's account.
type Usage struct {
	Tier         string    `json:"tier"`
	JobsUsed     int64     `json:"jobs_used"`
	JobsLimit    int64     `json:"jobs_limit"` // -1 is unlimited
	UsagePercent float64   `json:"usage_percent"`
	LimitReached bool      `json:"limit_reached"`
	ResetAt      time.Time `json:"reset_at"`
	KeyID        *string   `json:"key_id"`
	KeyPrefix    *string   `json:"key_prefix"`
}

// LeaseRequest asks for jobs to run (POST /api/v1/workers/lease).
type LeaseRequest struct {
	WorkerID     string   `json:"worker_id"`
	Host         string   `json:"host,omitempty"` // shown in /api/v1/workers
	Types        []string `json:"types"`
	Queues       []string `json:"queues,omitempty"`
	Max          int      `json:"max,omitempty"`           // 1–100
	LeaseSeconds int      `json:"lease_seconds,omitempty"` // 5–3600
	WaitSeconds  int      `json:"wait_seconds,omitempty"`  // 0–20: long-poll until a job is ready
}

// LeasedJob is a job leased to a worker: the job, and the lease that Heartbeat, CompleteJob and FailJob name.
type LeasedJob struct {
	Job
	LeaseToken     string    `json:"lease_token"`
	LeaseExpiresAt time.Time `json:"lease_expires_at"`
}

// Lease is the answer to a heartbeat.
type Lease struct {
	LeaseExpiresAt  time.Time `json:"lease_expires_at"`
	CancelRequested bool      `json:"cancel_requested"`
}
