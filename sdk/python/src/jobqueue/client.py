"""The JobQueue clients. Every API call is written once, in ``_Api``, as a ``Call`` (the request and how to read its
answer); ``JobQueueClient`` sends it and returns the answer, ``AsyncJobQueueClient`` returns a coroutine of it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, AsyncIterator, Dict, Iterable, Iterator, List, Mapping, Optional, Union
from urllib.parse import quote

import httpx

from . import _transport as t
from ._transport import Call
from .errors import JobQueueError
from .models import (
    ApiKey,
    AuthResult,
    CancelResult,
    CreatedApiKey,
    CronSchedule,
    CursorPage,
    Deleted,
    DlqEntry,
    Health,
    Heartbeat,
    Job,
    JobAttempt,
    LeasedJob,
    Page,
    RequeueResult,
    Stats,
    Usage,
    Webhook,
    WebhookDelivery,
    WebhookTest,
    Worker,
)

__all__ = ["JobQueueClient", "AsyncJobQueueClient"]

Tags = Union[None, str, Mapping[str, str]]
Moment = Union[None, str, datetime]

DEFAULT_TIMEOUT_SECONDS = 30.0
# How long a 429 or 503 may ask us to wait before the client gives the error to the caller instead of sleeping.
DEFAULT_MAX_RETRY_WAIT_SECONDS = 30.0


def _id(value: str) -> str:
    return quote(str(value), safe="")


def _result(response: httpx.Response) -> Any:
    # The stored result itself (the original's bare shape), or nothing yet.
    return None if response.status_code == 204 else response.json()


def _health(response: httpx.Response) -> Health:
    document = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if not isinstance(document, dict) or "status" not in document:
        raise t.error_from(response) if response.status_code >= 400 else JobQueueError(
            f"/health answered {response.status_code} without a status: {response.text[:200]!r}", response.status_code
        )
    return Health.from_dict(document)


def _text(response: httpx.Response) -> str:
    return response.text


def _field(name: str) -> Any:
    return lambda response: t.data(response)[name]


def _cursor_page(response: httpx.Response) -> CursorPage:
    return CursorPage.from_dict(t.data(response))


def _attempts(response: httpx.Response) -> List[JobAttempt]:
    return [JobAttempt.from_dict(item) for item in t.data(response)["items"]]


def _job_request(spec: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: t.wire(value) for name, value in spec.items() if value is not None}


class _Api:
    """Every route of the API. Each method builds a ``Call`` and hands it to ``_send``: on ``JobQueueClient`` the
    method returns the answer, on ``AsyncJobQueueClient`` an awaitable of it."""

    def _send(self, call: Call[Any]) -> Any:
        raise NotImplementedError

    # ---- jobs -------------------------------------------------------------------------------------------------

    def enqueue(
        self,
        job_type: str,
        payload: Optional[Mapping[str, Any]] = None,
        *,
        priority: Optional[int] = None,
        max_attempts: Optional[int] = None,
        queue_name: Optional[str] = None,
        scheduled_at: Moment = None,
        ttl_seconds: Optional[int] = None,
        timeout_seconds: Optional[int] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> Job:
        """``POST /api/v1/jobs``: one job (201). Options left as None take the server's defaults."""
        return self._send(Call("POST", "/api/v1/jobs", t.one(Job), json=t.body(
            type=job_type, payload=payload, priority=priority, max_attempts=max_attempts, queue_name=queue_name,
            scheduled_at=scheduled_at, ttl_seconds=ttl_seconds, timeout_seconds=timeout_seconds, tags=tags)))

    def enqueue_batch(self, jobs: Iterable[Mapping[str, Any]]) -> List[Job]:
        """``POST /api/v1/jobs/batch``: 1-500 jobs (each a mapping of the enqueue fields, ``type`` required) in one
        transaction; one invalid job refuses them all."""
        return self._send(Call("POST", "/api/v1/jobs/batch", t.many(Job), json=[_job_request(j) for j in jobs]))

    def get_job(self, job_id: str) -> Job:
        return self._send(Call("GET", f"/api/v1/jobs/{_id(job_id)}", t.one(Job), idempotent=True))

    def list_jobs(
        self,
        status: Optional[str] = None,
        job_type: Optional[str] = None,
        queue: Optional[str] = None,
        tags: Tags = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Page[Job]:
        """``GET /api/v1/jobs``: one offset page (``total_count``, ``has_more``); ``tags`` as a mapping or ``"k:v,k2:v2"``."""
        return self._send(Call("GET", "/api/v1/jobs", t.page(Job), idempotent=True, params=t.query(
            status=status, type=job_type, queue=queue, tags=t.tags_query(tags), limit=limit, offset=offset)))

    def list_jobs_cursor(
        self,
        cursor: Optional[str] = None,
        status: Optional[str] = None,
        job_type: Optional[str] = None,
        queue: Optional[str] = None,
        tags: Tags = None,
        limit: Optional[int] = None,
    ) -> CursorPage:
        """``GET /api/v1/jobs/cursor``: one keyset page, newest first; stable while jobs are added. See ``iter_jobs``."""
        return self._send(Call("GET", "/api/v1/jobs/cursor", _cursor_page, idempotent=True, params=t.query(
            cursor=cursor, status=status, type=job_type, queue=queue, tags=t.tags_query(tags), limit=limit)))

    def get_job_attempts(self, job_id: str) -> List[JobAttempt]:
        """``GET /api/v1/jobs/{id}/attempts``: every attempt, oldest first."""
        return self._send(Call("GET", f"/api/v1/jobs/{_id(job_id)}/attempts", _attempts, idempotent=True))

    def get_job_result(self, job_id: str) -> Any:
        """``GET /api/v1/jobs/{id}/result``: the JSON the handler returned, or None while there is none (204)."""
        return self._send(Call("GET", f"/api/v1/jobs/{_id(job_id)}/result", _result, idempotent=True))

    def cancel_job(self, job_id: str) -> CancelResult:
        """``DELETE /api/v1/jobs/{id}``: a waiting job is cancelled at once; a running one is asked to stop
        (``cancel_requested``) and ends cancelled. An ended job raises ``ConflictError``."""
        return self._send(Call("DELETE", f"/api/v1/jobs/{_id(job_id)}", t.one(CancelResult)))

    def retry_job(self, job_id: str) -> Job:
        """``POST /api/v1/jobs/{id}/retry``: a failed or dead job starts over."""
        return self._send(Call("POST", f"/api/v1/jobs/{_id(job_id)}/retry", t.one(Job)))

    def purge_jobs(self, before: Union[str, datetime]) -> int:
        """``DELETE /api/v1/jobs?before=``: deletes the caller's jobs that ended before ``before``; how many."""
        return self._send(Call("DELETE", "/api/v1/jobs", _field("deleted"), idempotent=True, params=t.query(before=before)))

    # ---- dead letters, stats, workers -------------------------------------------------------------------------

    def list_dlq(self, include_requeued: Optional[bool] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[DlqEntry]:
        return self._send(Call("GET", "/api/v1/dlq", t.page(DlqEntry), idempotent=True, params=t.query(
            include_requeued=include_requeued, limit=limit, offset=offset)))

    def requeue_dlq(self, entry_id: str) -> RequeueResult:
        """``POST /api/v1/dlq/{id}/requeue``: a fresh job from the entry (``new_job``); ``ConflictError`` if done before."""
        return self._send(Call("POST", f"/api/v1/dlq/{_id(entry_id)}/requeue", t.one(RequeueResult)))

    def get_stats(self) -> Stats:
        return self._send(Call("GET", "/api/v1/stats", t.one(Stats), idempotent=True))

    def list_workers(self, active_only: Optional[bool] = None) -> List[Worker]:
        """``GET /api/v1/workers``: the built-in workers and the caller's remote ones (``kind``, ``types``)."""
        return self._send(Call("GET", "/api/v1/workers", t.many(Worker), idempotent=True, params=t.query(active_only=active_only)))

    # ---- the remote-worker lease protocol (``Worker`` and ``AsyncWorker`` use these) ---------------------------

    def lease_jobs(
        self,
        worker_id: str,
        types: Iterable[str],
        queues: Optional[Iterable[str]] = None,
        max: int = 1,
        lease_seconds: Optional[int] = None,
        wait_seconds: Optional[int] = None,
        host: Optional[str] = None,
    ) -> List[LeasedJob]:
        """``POST /api/v1/workers/lease``: up to ``max`` ready jobs of ``types``, each leased for ``lease_seconds``;
        waits up to ``wait_seconds`` for one (an empty list when none came). ``host`` is shown in ``list_workers``.
        ``ConflictError`` when ``worker_id`` is a built-in worker's or another tenant's."""
        return self._send(Call("POST", "/api/v1/workers/lease", t.many(LeasedJob), extra_timeout=float(wait_seconds or 0), json=t.body(
            worker_id=worker_id, host=host, types=list(types), queues=list(queues) if queues is not None else None, max=max,
            lease_seconds=lease_seconds, wait_seconds=wait_seconds)))

    def heartbeat_job(self, job_id: str, lease_token: str, progress: Any = None, lease_seconds: Optional[int] = None) -> Heartbeat:
        """``POST /api/v1/jobs/{id}/heartbeat``: extends the lease; ``cancel_requested`` says the job should stop.
        ``ConflictError`` when the lease was lost (it expired, or another attempt holds the job)."""
        # Idempotent: a repeated heartbeat only extends the same lease again.
        return self._send(Call("POST", f"/api/v1/jobs/{_id(job_id)}/heartbeat", t.one(Heartbeat), idempotent=True, json=t.body(
            lease_token=lease_token, progress=progress, lease_seconds=lease_seconds)))

    def complete_job(self, job_id: str, lease_token: str, result: Any = None) -> Job:
        """``POST /api/v1/jobs/{id}/complete`` with the handler's result (any JSON value)."""
        return self._send(Call("POST", f"/api/v1/jobs/{_id(job_id)}/complete", t.one(Job), json=t.body(lease_token=lease_token, result=result)))

    def fail_job(self, job_id: str, lease_token: str, error: str, retryable: bool = True) -> Job:
        """``POST /api/v1/jobs/{id}/fail``: retried after back-off while attempts are left and ``retryable``, else dead;
        cancelled when its cancellation was asked for."""
        return self._send(Call("POST", f"/api/v1/jobs/{_id(job_id)}/fail", t.one(Job), json=t.body(
            lease_token=lease_token, error=error, retryable=retryable)))

    def deregister_worker(self, worker_id: str) -> None:
        """``DELETE /api/v1/workers/{worker_id}``: the remote worker has stopped (listed as "stopped")."""
        return self._send(Call("DELETE", f"/api/v1/workers/{_id(worker_id)}", t.nothing, idempotent=True))

    # ---- webhooks ---------------------------------------------------------------------------------------------

    def list_webhooks(self) -> List[Webhook]:
        return self._send(Call("GET", "/api/v1/webhooks", t.many(Webhook), idempotent=True))

    def create_webhook(
        self,
        url: str,
        events: Optional[Iterable[str]] = None,
        secret: Optional[str] = None,
        description: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> Webhook:
        """``POST /api/v1/webhooks``. Without ``events``: job.completed, job.failed and job.dead. Without ``secret``
        one is generated and returned in ``Webhook.secret``, this once."""
        return self._send(Call("POST", "/api/v1/webhooks", t.one(Webhook), json=t.body(
            url=url, events=list(events) if events is not None else None, secret=secret, description=description, enabled=enabled)))

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self._send(Call("GET", f"/api/v1/webhooks/{_id(webhook_id)}", t.one(Webhook), idempotent=True))

    def patch_webhook(
        self,
        webhook_id: str,
        *,
        url: Optional[str] = None,
        events: Optional[Iterable[str]] = None,
        secret: Optional[str] = None,
        description: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> Webhook:
        """``PATCH /api/v1/webhooks/{id}``: changes the fields given (``secret`` rotates it; ``enabled=True`` clears an
        automatic disable)."""
        # Idempotent: it sets fields to the given values, so sending it twice changes nothing more.
        return self._send(Call("PATCH", f"/api/v1/webhooks/{_id(webhook_id)}", t.one(Webhook), idempotent=True, json=t.body(
            url=url, events=list(events) if events is not None else None, secret=secret, description=description, enabled=enabled)))

    def delete_webhook(self, webhook_id: str) -> Deleted:
        return self._send(Call("DELETE", f"/api/v1/webhooks/{_id(webhook_id)}", t.one(Deleted)))

    def list_webhook_deliveries(self, webhook_id: str, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[WebhookDelivery]:
        """``GET /api/v1/webhooks/{id}/deliveries``: newest first, each with its attempt log."""
        return self._send(Call("GET", f"/api/v1/webhooks/{_id(webhook_id)}/deliveries", t.page(WebhookDelivery), idempotent=True,
                               params=t.query(limit=limit, offset=offset)))

    def test_webhook(self, webhook_id: str) -> WebhookTest:
        """``POST /api/v1/webhooks/{id}/test``: queues a signed ``webhook.test`` delivery."""
        return self._send(Call("POST", f"/api/v1/webhooks/{_id(webhook_id)}/test", t.one(WebhookTest)))

    # ---- cron -------------------------------------------------------------------------------------------------

    def list_cron(self) -> List[CronSchedule]:
        return self._send(Call("GET", "/api/v1/cron", t.many(CronSchedule), idempotent=True))

    def create_cron(
        self,
        name: str,
        job_type: str,
        cron_expression: str,
        *,
        timezone: Optional[str] = None,
        payload: Optional[Mapping[str, Any]] = None,
        queue_name: Optional[str] = None,
        priority: Optional[int] = None,
        max_attempts: Optional[int] = None,
        timeout_seconds: Optional[int] = None,
        tags: Optional[Mapping[str, str]] = None,
        enabled: Optional[bool] = None,
    ) -> CronSchedule:
        """``POST /api/v1/cron``: 5 fields, or 6 with seconds first, read in ``timezone`` (IANA; UTC by default)."""
        return self._send(Call("POST", "/api/v1/cron", t.one(CronSchedule), json=t.body(
            name=name, job_type=job_type, cron_expression=cron_expression, timezone=timezone, payload=payload,
            queue_name=queue_name, priority=priority, max_attempts=max_attempts, timeout_seconds=timeout_seconds,
            tags=tags, enabled=enabled)))

    def get_cron(self, cron_id: str) -> CronSchedule:
        return self._send(Call("GET", f"/api/v1/cron/{_id(cron_id)}", t.one(CronSchedule), idempotent=True))

    def patch_cron(
        self,
        cron_id: str,
        *,
        enabled: Optional[bool] = None,
        cron_expression: Optional[str] = None,
        payload: Optional[Mapping[str, Any]] = None,
        queue_name: Optional[str] = None,
        priority: Optional[int] = None,
        timezone: Optional[str] = None,
        name: Optional[str] = None,
        max_attempts: Optional[int] = None,
    ) -> CronSchedule:
        """``PATCH /api/v1/cron/{id}``: changes the fields given (``enabled=False`` pauses it)."""
        return self._send(Call("PATCH", f"/api/v1/cron/{_id(cron_id)}", t.one(CronSchedule), idempotent=True, json=t.body(
            enabled=enabled, cron_expression=cron_expression, payload=payload, queue_name=queue_name, priority=priority,
            timezone=timezone, name=name, max_attempts=max_attempts)))

    def delete_cron(self, cron_id: str) -> Deleted:
        return self._send(Call("DELETE", f"/api/v1/cron/{_id(cron_id)}", t.one(Deleted)))

    # ---- accounts, keys, usage --------------------------------------------------------------------------------

    def register(self, email: str, password: str) -> AuthResult:
        """``POST /auth/register``: a new account, its login token and its first key (``api_key.key``, shown once)."""
        return self._send(Call("POST", "/auth/register", t.one(AuthResult), json={"email": email, "password": password}))

    def login(self, email: str, password: str) -> AuthResult:
        """``POST /auth/login``: a login token (24 h) and the account's keys."""
        return self._send(Call("POST", "/auth/login", t.one(AuthResult), json={"email": email, "password": password}))

    def forgot_password(self, email: str) -> str:
        """``POST /auth/forgot-password``: the same message whether or not the account exists."""
        return self._send(Call("POST", "/auth/forgot-password", _field("message"), json={"email": email}))

    def reset_password(self, token: str, password: str) -> str:
        return self._send(Call("POST", "/auth/reset-password", _field("message"), json={"token": token, "password": password}))

    def list_api_keys(self) -> List[ApiKey]:
        return self._send(Call("GET", "/api/v1/keys", t.many(ApiKey), idempotent=True))

    def create_api_key(self, name: Optional[str] = None, tier: Optional[str] = None) -> CreatedApiKey:
        """``POST /api/v1/keys``: a key with the account's tier. ``tier`` (the original client always sent "free") is
        accepted when it is not above the account's; a higher one is refused."""
        return self._send(Call("POST", "/api/v1/keys", t.one(CreatedApiKey), json=t.body(name=name, tier=tier)))

    def delete_api_key(self, key_id: str) -> Deleted:
        return self._send(Call("DELETE", f"/api/v1/keys/{_id(key_id)}", t.one(Deleted)))

    def get_usage(self) -> Usage:
        """``GET /api/v1/usage``: this month's jobs of the account against its tier's limit."""
        return self._send(Call("GET", "/api/v1/usage", t.one(Usage), idempotent=True))

    def get_portal_usage(self) -> Usage:
        """``GET /portal/usage`` (login token only): the usage, naming the account's primary key."""
        return self._send(Call("GET", "/portal/usage", t.one(Usage), idempotent=True))

    def regenerate_key(self) -> CreatedApiKey:
        """``POST /portal/regenerate-key`` (login token only): the primary key is replaced; the old one stops working."""
        return self._send(Call("POST", "/portal/regenerate-key", t.one(CreatedApiKey)))

    def create_checkout(self, tier: str, key_id: Optional[str] = None) -> str:
        """``POST /portal/checkout``: the Stripe Checkout page to open for ``tier`` ("pro" or "business")."""
        return self._send(Call("POST", "/portal/checkout", _field("url"), json=t.body(tier=tier, key_id=key_id)))

    def create_customer_portal(self) -> str:
        """``POST /portal/customer-portal``: Stripe's billing portal page for the account."""
        return self._send(Call("POST", "/portal/customer-portal", _field("url")))

    # ---- operations -------------------------------------------------------------------------------------------

    def health(self) -> Health:
        """``GET /health``: "ok", or "degraded" (the API's 503) with the failing check; not an error either way."""
        return self._send(Call("GET", "/health", _health, idempotent=True, expected=(503,)))

    def get_metrics(self) -> str:
        """``GET /metrics``: the Prometheus text."""
        return self._send(Call("GET", "/metrics", _text, idempotent=True))


def _headers(api_key: Optional[str], token: Optional[str]) -> Dict[str, str]:
    if api_key and token:
        raise ValueError("give api_key or token, not both: the API would authenticate only one of them")
    headers = {"User-Agent": "jobqueue-client-python/1.0", "Accept": "application/json"}
    if api_key:
        headers["X-API-Key"] = api_key
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


class JobQueueClient(_Api):
    """The synchronous client: ``JobQueueClient("http://localhost:8080", api_key="qly_...")``.

    ``token`` is a login token (or key) sent as ``Authorization: Bearer``. A 429 is retried after its Retry-After
    (when that is at most ``max_retry_wait`` seconds) for every call; a 503 or a lost connection for idempotent
    calls, with exponential back-off; ``max_retries`` retries at most. Use it as a context manager, or ``close()`` it.
    """

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = 3,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._retry = t.RetryPolicy(max_retries, max_retry_wait)
        self._http = httpx.Client(base_url=self.base_url, headers=_headers(api_key, token), timeout=timeout)

    def _send(self, call: Call[Any]) -> Any:
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, params=call.params, json=call.json,
                                              timeout=self._timeout + call.extra_timeout)
            except httpx.TransportError as error:
                wait = self._retry.after_transport_error(call, error, attempt)
                if wait is None:
                    raise t.connection_failed(call, error) from error
            else:
                wait = self._retry.after_response(call, response, attempt)
                if wait is None:
                    return t.finish(call, response)
            time.sleep(wait)
            attempt += 1

    def iter_jobs(
        self,
        status: Optional[str] = None,
        job_type: Optional[str] = None,
        queue: Optional[str] = None,
        tags: Tags = None,
        page_size: int = 100,
    ) -> Iterator[Job]:
        """Every job matching the filters, newest first, fetched page by page through ``/jobs/cursor``."""
        cursor: Optional[str] = None
        while True:
            page = self.list_jobs_cursor(cursor, status, job_type, queue, tags, page_size)
            yield from page.items
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "JobQueueClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncJobQueueClient(_Api):
    """The asyncio client: the same methods as ``JobQueueClient``, each a coroutine (``await client.get_job(id)``),
    and ``async for job in client.iter_jobs(...)``. Use it with ``async with``, or ``await aclose()``."""

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = 3,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._retry = t.RetryPolicy(max_retries, max_retry_wait)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=_headers(api_key, token), timeout=timeout)

    async def _send(self, call: Call[Any]) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, params=call.params, json=call.json,
                                                    timeout=self._timeout + call.extra_timeout)
            except httpx.TransportError as error:
                wait = self._retry.after_transport_error(call, error, attempt)
                if wait is None:
                    raise t.connection_failed(call, error) from error
            else:
                wait = self._retry.after_response(call, response, attempt)
                if wait is None:
                    return t.finish(call, response)
            await asyncio.sleep(wait)
            attempt += 1

    async def iter_jobs(
        self,
        status: Optional[str] = None,
        job_type: Optional[str] = None,
        queue: Optional[str] = None,
        tags: Tags = None,
        page_size: int = 100,
    ) -> AsyncIterator[Job]:
        """Every job matching the filters, newest first, fetched page by page through ``/jobs/cursor``."""
        cursor: Optional[str] = None
        while True:
            page = await self.list_jobs_cursor(cursor, status, job_type, queue, tags, page_size)
            for job in page.items:
                yield job
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncJobQueueClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()
