"""The errors the client raises: each carries the API's message, the HTTP status and the request id."""

from __future__ import annotations

from typing import Optional


class JobQueueError(Exception):
    """An answer the API refused (4xx/5xx), or a request that never got an answer (``status`` is None).

    ``str(error)`` is the API's own message (the envelope's ``error``); ``status`` the HTTP status;
    ``request_id`` the envelope's ``meta.request_id`` (quote it when asking about a failure); ``retry_after``
    the seconds of ``Retry-After`` on a 429 or 503.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, request_id={self.request_id!r})"


class AuthenticationError(JobQueueError):
    """401: no credentials, or a key or login token the API does not accept (deleted, expired, wrong)."""


class NotFoundError(JobQueueError):
    """404: no such resource for this tenant (another tenant's answers 404 too)."""


class ConflictError(JobQueueError):
    """409: the resource is not in a state that allows this (a job already ended, a lease another worker holds, ...)."""


class RateLimitError(JobQueueError):
    """429: the rate limit or the monthly job limit; ``retry_after`` says when to try again."""


class ConnectionFailedError(JobQueueError):
    """The request got no answer (connection refused, reset, timed out) after every retry; ``status`` is None."""


_BY_STATUS = {401: AuthenticationError, 404: NotFoundError, 409: ConflictError, 429: RateLimitError}


def error_for_status(status: int, message: str, request_id: Optional[str], retry_after: Optional[float]) -> JobQueueError:
    return _BY_STATUS.get(status, JobQueueError)(message, status, request_id, retry_after)
