"""Typed answers of the API: dataclasses built from the JSON with ``from_dict``.

Fields the server adds later are ignored and fields it leaves out take their default, so a newer or older server
does not break a client. Timestamps are timezone-aware ``datetime`` objects; ``payload``, ``result`` and ``tags``
stay the JSON values they are.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Any, Dict, Generic, List, Optional, Type, TypeVar

T = TypeVar("T")
M = TypeVar("M", bound="Model")


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union:  # Optional[X]
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin in (list, List):
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value]
    if hint is datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint.from_dict(value)
    return value


class Model:
    """Base of every answer type: ``from_dict`` maps a JSON object onto the dataclass's fields by name."""

    @classmethod
    def from_dict(cls: Type[M], data: Dict[str, Any]) -> M:
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{name: _convert(hints[name], value) for name, value in data.items() if name in known})

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclasses.dataclass
class Job(Model):
    id: str = ""
    type: str = ""
    payload: Any = None
    priority: int = 5
    status: str = ""
    attempts: int = 0
    max_attempts: int = 0
    queue_name: str = "default"
    scheduled_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    worker_id: Optional[str] = None
    error_message: Optional[str] = None
    result: Any = None
    api_key_id: Optional[str] = None
    expires_at: Optional[datetime] = None
    tags: Dict[str, str] = dataclasses.field(default_factory=dict)
    timeout_seconds: Optional[int] = None
    ttl_seconds: Optional[int] = None
    requeued_from: Optional[str] = None
    tenant: Optional[str] = None
    trace_id: Optional[str] = None
    progress: Any = None
    """The last progress a remote worker's heartbeat reported (any JSON value)."""


@dataclasses.dataclass
class LeasedJob(Job):
    """A job a remote worker holds: report on it with ``lease_token`` before ``lease_expires_at``."""

    lease_token: str = ""
    lease_expires_at: Optional[datetime] = None


@dataclasses.dataclass
class Page(Generic[T]):
    """One page of an offset-paged list (``meta`` of the envelope: total_count, limit, offset, has_more)."""

    items: List[T]
    total_count: int
    limit: int
    offset: int
    has_more: bool


@dataclasses.dataclass
class CursorPage(Model):
    """One keyset page of ``/jobs/cursor``: pass ``next_cursor`` back for the next one."""

    items: List[Job] = dataclasses.field(default_factory=list)
    next_cursor: Optional[str] = None
    has_more: bool = False
    limit: int = 0


@dataclasses.dataclass
class JobAttempt(Model):
    attempt: int = 0
    worker_id: str = ""
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    duration_ms: Optional[float] = None
    outcome: str = ""
    error: Optional[str] = None


@dataclasses.dataclass
class CancelResult(Model):
    """``status`` is "cancelled" for a waiting job; "running" with ``cancel_requested`` for a running one (202)."""

    id: str = ""
    status: str = ""
    cancel_requested: bool = False


@dataclasses.dataclass
class Deleted(Model):
    id: str = ""
    status: str = ""


@dataclasses.dataclass
class DlqEntry(Model):
    id: str = ""
    type: str = ""
    payload: Any = None
    priority: int = 5
    queue_name: str = "default"
    max_attempts: int = 0
    total_attempts: int = 0
    last_error: Optional[str] = None
    died_at: Optional[datetime] = None
    original_created_at: Optional[datetime] = None
    requeued: bool = False
    api_key_id: Optional[str] = None
    job_id: Optional[str] = None
    requeued_at: Optional[datetime] = None
    new_job_id: Optional[str] = None


@dataclasses.dataclass
class RequeueResult(Model):
    new_job: Job = dataclasses.field(default_factory=Job)
    dlq_entry_id: str = ""


@dataclasses.dataclass
class QueueStats(Model):
    queue: str = ""
    depth: int = 0
    running: int = 0


@dataclasses.dataclass
class UnservedType(Model):
    type: str = ""
    waiting: int = 0


@dataclasses.dataclass
class Stats(Model):
    total_jobs: int = 0
    pending: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    active_workers: int = 0
    jobs_per_minute: int = 0
    failed_rate: float = 0.0
    queue_depth: int = 0
    dlq_count: int = 0
    queues: List[QueueStats] = dataclasses.field(default_factory=list)
    unserved: int = 0
    unserved_types: List[UnservedType] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class CurrentJob(Model):
    id: str = ""
    type: str = ""


@dataclasses.dataclass
class Worker(Model):
    id: str = ""
    kind: str = "built-in"
    host: Optional[str] = None
    pid: Optional[int] = None
    status: str = ""
    queues: List[str] = dataclasses.field(default_factory=list)
    types: List[str] = dataclasses.field(default_factory=list)
    concurrency: int = 0
    running: int = 0
    jobs_processed: int = 0
    jobs_failed: int = 0
    started_at: Optional[datetime] = None
    last_seen: Optional[datetime] = None
    current_jobs: List[CurrentJob] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Heartbeat(Model):
    """The answer to a heartbeat: the lease's new expiry, and whether the job's cancellation was asked for."""

    lease_expires_at: Optional[datetime] = None
    cancel_requested: bool = False


@dataclasses.dataclass
class Webhook(Model):
    id: str = ""
    url: str = ""
    events: List[str] = dataclasses.field(default_factory=list)
    enabled: bool = True
    description: Optional[str] = None
    has_secret: bool = False
    consecutive_failures: int = 0
    disabled_reason: Optional[str] = None
    disabled_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    secret: Optional[str] = None
    """Only in the answer to a create without a secret: the generated one, shown this once."""


@dataclasses.dataclass
class DeliveryAttempt(Model):
    attempt: int = 0
    started_at: Optional[datetime] = None
    status_code: Optional[int] = None
    latency_ms: Optional[int] = None
    error: Optional[str] = None
    succeeded: bool = False


@dataclasses.dataclass
class WebhookDelivery(Model):
    id: str = ""
    event: str = ""
    event_id: Optional[str] = None
    job_id: Optional[str] = None
    status: str = ""
    delivered: bool = False
    attempts: int = 0
    next_attempt_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    attempt_log: List[DeliveryAttempt] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class WebhookTest(Model):
    """A queued ``webhook.test`` delivery: ``delivery_id`` is the ``X-Webhook-Id`` it will carry."""

    delivery_id: str = ""
    event: str = ""


@dataclasses.dataclass
class CronSchedule(Model):
    id: str = ""
    name: str = ""
    job_type: str = ""
    cron_expression: str = ""
    timezone: str = "UTC"
    payload: Any = None
    queue_name: str = "default"
    priority: int = 5
    max_attempts: int = 0
    timeout_seconds: Optional[int] = None
    tags: Dict[str, str] = dataclasses.field(default_factory=dict)
    enabled: bool = True
    next_run_at: Optional[datetime] = None
    last_run_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None


@dataclasses.dataclass
class ApiKey(Model):
    """A key as listed: never the key itself."""

    id: str = ""
    name: str = ""
    key_prefix: str = ""
    tier: str = ""
    jobs_limit: int = 0
    enabled: bool = True
    created_at: Optional[datetime] = None


@dataclasses.dataclass
class CreatedApiKey(Model):
    """A new key: ``key`` is shown this once (only its digest is stored)."""

    id: str = ""
    name: str = ""
    key: str = ""
    key_prefix: str = ""
    tier: str = ""
    jobs_limit: int = 0
    reset_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    warning: Optional[str] = None


@dataclasses.dataclass
class Usage(Model):
    tier: str = ""
    jobs_used: int = 0
    jobs_limit: int = 0
    """-1 is unlimited."""
    usage_percent: float = 0.0
    limit_reached: bool = False
    reset_at: Optional[datetime] = None
    key_id: Optional[str] = None
    key_prefix: Optional[str] = None


@dataclasses.dataclass
class User(Model):
    id: str = ""
    email: str = ""
    created_at: Optional[datetime] = None


@dataclasses.dataclass
class AuthResult(Model):
    """``register`` fills ``api_key`` (the account's first key, shown once); ``login`` fills ``keys``."""

    token: str = ""
    expires_at: Optional[datetime] = None
    user: User = dataclasses.field(default_factory=User)
    api_key: Optional[CreatedApiKey] = None
    keys: List[ApiKey] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Health(Model):
    """``/health``: "ok" or "degraded", each dependency's check, and the uptime."""

    status: str = ""
    checks: Dict[str, str] = dataclasses.field(default_factory=dict)
    uptime: Optional[str] = None
