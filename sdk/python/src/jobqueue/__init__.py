"""Python client for JobQueue: ``JobQueueClient`` (sync) and ``AsyncJobQueueClient`` (asyncio) over every route of
the HTTP API, ``Worker`` / ``AsyncWorker`` on the remote-worker lease protocol, and ``verify_webhook_signature``."""

from .client import AsyncJobQueueClient, JobQueueClient
from .errors import (
    AuthenticationError,
    ConflictError,
    ConnectionFailedError,
    JobQueueError,
    NotFoundError,
    RateLimitError,
)
from .models import (
    ApiKey,
    AuthResult,
    CancelResult,
    CreatedApiKey,
    CronSchedule,
    CursorPage,
    Deleted,
    DeliveryAttempt,
    DlqEntry,
    Health,
    Heartbeat,
    Job,
    JobAttempt,
    LeasedJob,
    Page,
    QueueStats,
    RequeueResult,
    Stats,
    UnservedType,
    Usage,
    User,
    Webhook,
    WebhookDelivery,
    WebhookTest,
    Worker as WorkerInfo,
)
from .webhooks import WebhookSignatureError, verify_webhook_signature
from .worker import AsyncWorker, JobContext, NonRetryableError, Worker

__version__ = "1.0.0"

__all__ = [
    "JobQueueClient", "AsyncJobQueueClient", "Worker", "AsyncWorker", "JobContext", "NonRetryableError",
    "verify_webhook_signature", "WebhookSignatureError",
    "JobQueueError", "AuthenticationError", "NotFoundError", "ConflictError", "RateLimitError", "ConnectionFailedError",
    "ApiKey", "AuthResult", "CancelResult", "CreatedApiKey", "CronSchedule", "CursorPage", "Deleted", "DeliveryAttempt",
    "DlqEntry", "Health", "Heartbeat", "Job", "JobAttempt", "LeasedJob", "Page", "QueueStats", "RequeueResult", "Stats",
    "UnservedType", "Usage", "User", "Webhook", "WebhookDelivery", "WebhookTest", "WorkerInfo",
]
