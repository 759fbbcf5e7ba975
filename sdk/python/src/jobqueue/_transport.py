"""What the sync and async clients share: a request described once (``Call``), how its answer is read, and when
it is retried. Each client only runs the loop in ``_send`` with its own httpx client and its own sleep."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Generic, List, Mapping, Optional, Tuple, Type, TypeVar, Union

import httpx

from .errors import ConnectionFailedError, JobQueueError, error_for_status
from .models import M, Page

T = TypeVar("T")

# Retry back-off between attempts that got no Retry-After: 0.5 s, 1 s, 2 s, ... with ±20 % jitter, capped, so a
# brief outage of Postgres or Redis (the API answers 503) is ridden out without hammering it.
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0


@dataclasses.dataclass
class Call(Generic[T]):
    """One API request and how to read its answer.

    ``idempotent`` calls are retried on 503 and on a lost connection, where the first try may have been applied;
    every call is retried on 429 (refused before anything happened) and when the connection could not be made
    at all (nothing was sent). ``expected`` lists statuses that are answers rather than errors (``/health``'s 503).
    """

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Optional[Dict[str, Any]] = None
    json: Any = None
    idempotent: bool = False
    expected: Tuple[int, ...] = ()
    extra_timeout: float = 0.0


def query(**params: Any) -> Dict[str, Any]:
    """The query parameters that were given: None is left out, booleans are lowercase, datetimes RFC 3339."""
    return {name: ("true" if value else "false") if isinstance(value, bool) else wire(value) for name, value in params.items() if value is not None}


def body(**fields: Any) -> Dict[str, Any]:
    """A JSON body of the fields that were given (None leaves a field out, so the server applies its default)."""
    return {name: wire(value) for name, value in fields.items() if value is not None}


def wire(value: Any) -> Any:
    return rfc3339(value) if isinstance(value, datetime) else value


def rfc3339(moment: datetime) -> str:
    """UTC with a Z; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def tags_query(tags: Union[None, str, Mapping[str, str]]) -> Optional[str]:
    """``tags=k:v,k2:v2`` from a mapping (or the string as it is)."""
    if tags is None or isinstance(tags, str):
        return tags
    return ",".join(f"{k}:{v}" for k, v in tags.items())


def envelope(response: httpx.Response) -> Dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict) or "data" not in document:
        raise JobQueueError(
            f"{response.status_code} from {response.request.method} {response.request.url.path} is not a JobQueue envelope: "
            f"{response.text[:200]!r}",
            response.status_code,
        )
    return document


def data(response: httpx.Response) -> Any:
    return envelope(response)["data"]


def one(model: Type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: model.from_dict(data(response))


def many(model: Type[M]) -> Callable[[httpx.Response], List[M]]:
    return lambda response: [model.from_dict(item) for item in data(response)]


def page(model: Type[M]) -> Callable[[httpx.Response], "Page[M]"]:
    def read(response: httpx.Response) -> "Page[M]":
        document = envelope(response)
        meta = document.get("meta") or {}
        items = [model.from_dict(item) for item in document["data"]]
        return Page(items, meta.get("total_count", len(items)), meta.get("limit", len(items)), meta.get("offset", 0), meta.get("has_more", False))

    return read


def nothing(response: httpx.Response) -> None:
    return None


def retry_after(response: httpx.Response) -> Optional[float]:
    header = response.headers.get("Retry-After")
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None  # an HTTP date: the API always sends seconds, so this is not the API answering


def error_from(response: httpx.Response) -> JobQueueError:
    """The API's refusal as an exception: its message, status, request id and Retry-After."""
    message, request_id = None, None
    try:
        document = response.json()
        if isinstance(document, dict):
            message = document.get("error")
            request_id = (document.get("meta") or {}).get("request_id")
    except ValueError:
        pass
    if not message:
        message = f"{response.status_code} {response.reason_phrase}: {response.text[:200]}".rstrip(": ")
    return error_for_status(response.status_code, str(message), request_id, retry_after(response))


@dataclasses.dataclass
class RetryPolicy:
    max_retries: int
    max_retry_wait: float

    def after_response(self, call: Call[Any], response: httpx.Response, attempt: int) -> Optional[float]:
        """Seconds to wait before trying ``call`` again, or None to give its answer to the caller."""
        if attempt >= self.max_retries or response.status_code in call.expected:
            return None
        if response.status_code == 429 or (response.status_code == 503 and call.idempotent):
            wait = retry_after(response)
            wait = self.backoff(attempt) if wait is None else wait
            # A 429 of the monthly job limit says "after the 1st": waiting for it is the caller's decision.
            return wait if wait <= self.max_retry_wait else None
        return None

    def after_transport_error(self, call: Call[Any], error: httpx.TransportError, attempt: int) -> Optional[float]:
        if attempt >= self.max_retries:
            return None
        never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
        return self.backoff(attempt) if never_sent or call.idempotent else None

    @staticmethod
    def backoff(attempt: int) -> float:
        return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt) * random.uniform(0.8, 1.2)


def finish(call: Call[T], response: httpx.Response) -> T:
    if response.status_code >= 400 and response.status_code not in call.expected:
        raise error_from(response)
    return call.parse(response)


def connection_failed(call: Call[Any], error: httpx.TransportError) -> ConnectionFailedError:
    return ConnectionFailedError(f"{call.method} {call.path}: {type(error).__name__}: {error}".rstrip(": "))
