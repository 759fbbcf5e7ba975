"""What every test module needs: the system under test (JOBQUEUE_URL, JOBQUEUE_ADMIN_KEY), a tenant of its own,
and waiting for the system to get somewhere (with a bound, never an assertion of speed)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Awaitable, Callable, Optional, TypeVar

from jobqueue import AuthResult, JobQueueClient

T = TypeVar("T")

URL = os.environ.get("JOBQUEUE_URL", "http://127.0.0.1:18080")
ADMIN_KEY = os.environ.get("JOBQUEUE_ADMIN_KEY", "dev-admin-key")
PASSWORD = "correct horse battery staple"
# A bound on how long the system may take to get somewhere; a test fails when it is exceeded.
BOUND_SECONDS = 60.0
# /auth/* is limited per client address (1 request/s), and every test on this machine registers from 127.0.0.1:
# the client waits out each 429's Retry-After, as often as this.
REGISTER_RETRIES = 30


def unique_email(purpose: str) -> str:
    return f"py-{purpose}-{uuid.uuid4().hex[:12]}@example.com"


def register_tenant(purpose: str) -> AuthResult:
    """A new account (a tenant of its own, so no other test's jobs are seen) and its first key."""
    with JobQueueClient(URL, max_retries=REGISTER_RETRIES) as anonymous:
        return anonymous.register(unique_email(purpose), PASSWORD)


def fresh_type(purpose: str) -> str:
    """A job type no built-in worker serves and no other test uses: only this test's worker runs it."""
    return f"py.{purpose}.{uuid.uuid4().hex[:8]}"


def wait_until(condition: Callable[[], Optional[T]], what: str, bound: float = BOUND_SECONDS, every: float = 0.2) -> T:
    """Polls ``condition`` until it returns something truthy, and returns that; AssertionError after ``bound`` s."""
    deadline = time.monotonic() + bound
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound:g} s: {what}")
        time.sleep(every)


async def wait_until_async(condition: Callable[[], Awaitable[Optional[T]]], what: str, bound: float = BOUND_SECONDS, every: float = 0.2) -> T:
    deadline = time.monotonic() + bound
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound:g} s: {what}")
        await asyncio.sleep(every)
