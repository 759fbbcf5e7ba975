"""Remote workers on the HTTP lease protocol: ``Worker`` runs handlers on threads, ``AsyncWorker`` on asyncio.

A worker leases only as many jobs as it has free slots (long-polling ``wait_seconds`` for them), heartbeats each
running job every third of its lease (which also tells it of a cancellation), and reports each one completed with
the handler's result or failed with its error: retryable, unless the handler raised ``NonRetryableError``. A lost
lease (the job expired and runs elsewhere) or a cancellation sets the handler's ``cancelled`` event. ``stop()``
(or SIGINT/SIGTERM when ``run()`` is called on the main thread) stops leasing, lets running handlers finish for
``grace_seconds``, reports the rest failed (retryable, so they run again) and deregisters the worker.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from .client import AsyncJobQueueClient, JobQueueClient
from .errors import ConflictError, JobQueueError, NotFoundError
from .models import Heartbeat, LeasedJob

log = logging.getLogger("jobqueue.worker")

F = TypeVar("F", bound=Callable[..., Any])

CANCELLED_MESSAGE = "cancelled: the handler stopped on request"
# After a failed lease (the API down, say) the worker waits this long before leasing again, so it does not spin.
LEASE_ERROR_PAUSE_SECONDS = 2.0


class NonRetryableError(Exception):
    """Raise it from a handler when trying again cannot help (bad payload): the job goes to the dead-letter queue."""


def default_worker_id() -> str:
    """``<host>-<pid>-<random>``, in the characters the API allows (``[A-Za-z0-9._:@-]``)."""
    host = re.sub(r"[^A-Za-z0-9._:@-]", "-", socket.gethostname())[:80] or "host"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _failure(error: BaseException) -> Tuple[str, bool]:
    """What a handler's exception reports: its message, and whether the job may run again."""
    if isinstance(error, NonRetryableError):
        return str(error) or type(error).__name__, False
    return f"{type(error).__name__}: {error}", True


class _Run:
    """A job this worker holds: its lease, its ``cancelled`` event, and whether its outcome was reported (once)."""

    def __init__(self, job: LeasedJob, cancelled: Any) -> None:
        self.job = job
        self.cancelled = cancelled
        self.cancel_requested = False
        self.lost = False
        self.reported = False


class JobContext:
    """What a handler gets besides the job. ``cancelled`` (a ``threading.Event`` for ``Worker``, an ``asyncio.Event``
    for ``AsyncWorker``) is set when the job was cancelled or its lease lost: stop as soon as you can.
    ``heartbeat(progress)`` sends a heartbeat now with a progress value (any JSON; ``await`` it on ``AsyncWorker``);
    the worker heartbeats on its own anyway."""

    def __init__(self, run: _Run, beat: Callable[[_Run, Any], Any]) -> None:
        self.job = run.job
        self.cancelled = run.cancelled
        self._run = run
        self._beat = beat

    def heartbeat(self, progress: Any = None) -> Any:
        return self._beat(self._run, progress)


class _WorkerBase:
    def __init__(self, concurrency: int, queues: Optional[Sequence[str]], lease_seconds: int, wait_seconds: int,
                 grace_seconds: float, worker_id: Optional[str]) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.queues = list(queues) if queues is not None else None
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.grace_seconds = grace_seconds
        self.worker_id = worker_id or default_worker_id()
        # A third of the lease: two heartbeats may be lost before the lease expires.
        self.heartbeat_interval = lease_seconds / 3
        self._handlers: Dict[str, Callable[..., Any]] = {}
        self._running: Dict[str, _Run] = {}

    def handler(self, job_type: str) -> Callable[[F], F]:
        """``@worker.handler("email.send")`` registers the decorated function for that job type."""

        def register(fn: F) -> F:
            self.register(job_type, fn)
            return fn

        return register

    def register(self, job_type: str, fn: Callable[..., Any]) -> None:
        """``fn(job, context)`` runs each job of ``job_type``; what it returns (any JSON value) is the job's result."""
        self._check(fn)
        self._handlers[job_type] = fn

    def _check(self, fn: Callable[..., Any]) -> None:
        raise NotImplementedError

    def _types(self) -> List[str]:
        if not self._handlers:
            raise ValueError("register a handler before running the worker")
        return sorted(self._handlers)

    def _grace_expired_message(self) -> str:
        return f"worker stopped: the job did not finish within the {self.grace_seconds:g} s grace period"

    def _take_report(self, run: _Run) -> bool:
        """True once per job (the handler's end and the grace period's end may race), and never for a lost lease."""
        if run.reported or run.lost:
            return False
        run.reported = True
        return True

    def _after_beat(self, run: _Run, beat: Optional[Heartbeat], error: Optional[JobQueueError]) -> Optional[Heartbeat]:
        if isinstance(error, (ConflictError, NotFoundError)):
            log.warning("job %s: lease lost: %s", run.job.id, error)
            run.lost = True
            run.cancelled.set()
        elif error is not None:
            log.warning("job %s: heartbeat failed (tried again in %.0f s): %s", run.job.id, self.heartbeat_interval, error)
        elif beat is not None and beat.cancel_requested:
            run.cancel_requested = True
            run.cancelled.set()
        return beat

    @staticmethod
    def _log_report_error(run: _Run, error: JobQueueError) -> None:
        if isinstance(error, ConflictError):
            log.warning("job %s: the lease was lost before the outcome was reported: %s", run.job.id, error)
        else:
            log.error("job %s: reporting the outcome failed (the lease will expire and the job run again): %s", run.job.id, error)


# ---- threads ------------------------------------------------------------------------------------------------


class Worker(_WorkerBase):
    """``Worker(client, concurrency=4)``: register handlers ``fn(job, context)``, then ``run()`` blocks until ``stop()``."""

    def __init__(
        self,
        client: JobQueueClient,
        concurrency: int = 4,
        queues: Optional[Sequence[str]] = None,
        lease_seconds: int = 30,
        wait_seconds: int = 10,
        grace_seconds: float = 30.0,
        worker_id: Optional[str] = None,
    ) -> None:
        super().__init__(concurrency, queues, lease_seconds, wait_seconds, grace_seconds, worker_id)
        self.client = client
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._done = threading.Event()

    def _check(self, fn: Callable[..., Any]) -> None:
        if inspect.iscoroutinefunction(fn):
            raise TypeError("Worker runs plain functions on threads: register coroutine functions on an AsyncWorker")

    def stop(self) -> None:
        """Stops leasing and shuts down gracefully; ``run()`` returns when done (at once if it has not started: a
        stopped worker stays stopped). Safe from any thread or a signal handler."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()

    def run(self) -> None:
        """Leases and runs jobs until ``stop()`` (or SIGINT/SIGTERM on the main thread), then shuts down gracefully.
        The in-flight long poll is awaited (up to ``wait_seconds``); what it brings is handed back at once."""
        types = self._types()
        previous = self._install_signals()
        beating = threading.Thread(target=self._heartbeat_loop, name=f"{self.worker_id}-heartbeat", daemon=True)
        beating.start()
        try:
            self._lease_loop(types)
            self._drain()
        finally:
            self._done.set()
            beating.join()
            for signum, handler in previous.items():
                if handler is not None:  # None: installed outside Python, cannot be put back from here
                    signal.signal(signum, handler)
            try:
                self.client.deregister_worker(self.worker_id)
            except JobQueueError as error:
                log.warning("worker %s: deregistering failed: %s", self.worker_id, error)

    def _install_signals(self) -> Dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {s: signal.signal(s, lambda *_: self.stop()) for s in (signal.SIGINT, signal.SIGTERM)}

    def _lease_loop(self, types: List[str]) -> None:
        while True:
            with self._changed:
                while len(self._running) >= self.concurrency and not self._stopping.is_set():
                    self._changed.wait()
                free = self.concurrency - len(self._running)
            if self._stopping.is_set():
                return
            try:
                jobs = self.client.lease_jobs(self.worker_id, types, self.queues, max=free, lease_seconds=self.lease_seconds,
                                              wait_seconds=self.wait_seconds, host=socket.gethostname())
            except JobQueueError as error:
                log.warning("worker %s: leasing failed: %s", self.worker_id, error)
                self._stopping.wait(LEASE_ERROR_PAUSE_SECONDS)
                continue
            for job in jobs:
                self._start(job)

    def _start(self, job: LeasedJob) -> None:
        run = _Run(job, threading.Event())
        with self._changed:
            self._running[job.id] = run
        if self._stopping.is_set():  # brought by the poll under way when stop() came: hand it back
            self._report(run, "fail", "worker stopped before the job started", True)
            self._finished(run)
            return
        threading.Thread(target=self._execute, args=(run,), name=f"job-{job.id}", daemon=True).start()

    def _execute(self, run: _Run) -> None:
        handler = self._handlers[run.job.type]
        try:
            result = handler(run.job, JobContext(run, self._beat))
            json.dumps(result)  # a result the API cannot store is the handler's error, not a lost report
        except Exception as error:  # noqa: BLE001 - any handler error is the job's failure, reported to the API
            outcome = ("fail", *_failure(error))
        else:
            outcome = ("complete", result, False)
        if run.cancel_requested:
            outcome = ("fail", CANCELLED_MESSAGE, False)
        self._report(run, *outcome)
        self._finished(run)

    def _report(self, run: _Run, kind: str, value: Any, retryable: bool) -> None:
        with self._changed:
            if not self._take_report(run):
                return
        try:
            if kind == "complete":
                self.client.complete_job(run.job.id, run.job.lease_token, value)
            else:
                self.client.fail_job(run.job.id, run.job.lease_token, value, retryable)
        except JobQueueError as error:
            self._log_report_error(run, error)

    def _finished(self, run: _Run) -> None:
        with self._changed:
            self._running.pop(run.job.id, None)
            self._changed.notify_all()

    def _beat(self, run: _Run, progress: Any = None) -> Optional[Heartbeat]:
        try:
            beat = self.client.heartbeat_job(run.job.id, run.job.lease_token, progress, self.lease_seconds)
        except JobQueueError as error:
            return self._after_beat(run, None, error)
        return self._after_beat(run, beat, None)

    def _heartbeat_loop(self) -> None:
        # Until run() ends, not only until stop(): handlers finishing in the grace period keep their leases.
        while not self._done.wait(self.heartbeat_interval):
            with self._changed:
                runs = [r for r in self._running.values() if not r.reported]
            for run in runs:
                self._beat(run)

    def _drain(self) -> None:
        deadline = time.monotonic() + self.grace_seconds
        with self._changed:
            while self._running and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            left = list(self._running.values())
        for run in left:
            run.cancelled.set()
            self._report(run, "fail", self._grace_expired_message(), True)
            self._finished(run)


# ---- asyncio ------------------------------------------------------------------------------------------------


class AsyncWorker(_WorkerBase):
    """``AsyncWorker(client, concurrency=4)`` on an ``AsyncJobQueueClient``: register ``async def fn(job, context)``
    handlers, then ``await worker.run()`` until ``stop()``."""

    def __init__(
        self,
        client: AsyncJobQueueClient,
        concurrency: int = 4,
        queues: Optional[Sequence[str]] = None,
        lease_seconds: int = 30,
        wait_seconds: int = 10,
        grace_seconds: float = 30.0,
        worker_id: Optional[str] = None,
    ) -> None:
        super().__init__(concurrency, queues, lease_seconds, wait_seconds, grace_seconds, worker_id)
        self.client = client
        self._tasks: Dict[str, "asyncio.Task[None]"] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._stop_requested = False

    def _check(self, fn: Callable[..., Any]) -> None:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError("AsyncWorker runs coroutine functions (async def): register plain functions on a Worker")

    def stop(self) -> None:
        """Stops leasing and shuts down gracefully; ``run()`` returns when done (at once if it has not started: a
        stopped worker stays stopped). Safe from any thread."""
        # The flag first, the loop second; run() does the reverse, so one of them sees the other.
        self._stop_requested = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._stop_now)

    def _stop_now(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Leases and runs jobs until ``stop()`` (or SIGINT/SIGTERM when the loop runs on the main thread), then shuts
        down gracefully. The in-flight long poll is awaited (up to ``wait_seconds``); what it brings is handed back."""
        types = self._types()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if self._stop_requested:
            self._stop_now()
        signals = self._install_signals()
        beating = asyncio.create_task(self._heartbeat_loop())
        try:
            await self._lease_loop(types)
            await self._drain()
        finally:
            self._done.set()
            await beating
            for signum in signals:
                self._loop.remove_signal_handler(signum)
            self._loop = None
            try:
                await self.client.deregister_worker(self.worker_id)
            except JobQueueError as error:
                log.warning("worker %s: deregistering failed: %s", self.worker_id, error)

    def _install_signals(self) -> List[int]:
        if threading.current_thread() is not threading.main_thread():
            return []
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._loop.add_signal_handler(signum, self._stop_now)
                installed.append(signum)
            except (NotImplementedError, RuntimeError):  # a loop without signal support (Windows' proactor)
                pass
        return installed

    async def _lease_loop(self, types: List[str]) -> None:
        while True:
            while len(self._running) >= self.concurrency and not self._stopping.is_set():
                self._wake.clear()
                await self._wake.wait()
            if self._stopping.is_set():
                return
            free = self.concurrency - len(self._running)
            try:
                jobs = await self.client.lease_jobs(self.worker_id, types, self.queues, max=free, lease_seconds=self.lease_seconds,
                                                    wait_seconds=self.wait_seconds, host=socket.gethostname())
            except JobQueueError as error:
                log.warning("worker %s: leasing failed: %s", self.worker_id, error)
                await _wait(self._stopping, LEASE_ERROR_PAUSE_SECONDS)
                continue
            for job in jobs:
                await self._start(job)

    async def _start(self, job: LeasedJob) -> None:
        run = _Run(job, asyncio.Event())
        self._running[job.id] = run
        if self._stopping.is_set():  # brought by the poll under way when stop() came: hand it back
            await self._report(run, "fail", "worker stopped before the job started", True)
            self._finished(run)
            return
        self._tasks[job.id] = asyncio.create_task(self._execute(run), name=f"job-{job.id}")

    async def _execute(self, run: _Run) -> None:
        handler = self._handlers[run.job.type]
        try:
            try:
                result = await handler(run.job, JobContext(run, self._beat))
                json.dumps(result)  # a result the API cannot store is the handler's error, not a lost report
            except Exception as error:  # noqa: BLE001 - any handler error is the job's failure, reported to the API
                outcome = ("fail", *_failure(error))
            else:
                outcome = ("complete", result, False)
            if run.cancel_requested:
                outcome = ("fail", CANCELLED_MESSAGE, False)
            await self._report(run, *outcome)
        finally:  # also when the grace period ended and the task was cancelled (its outcome already reported)
            self._finished(run)

    async def _report(self, run: _Run, kind: str, value: Any, retryable: bool) -> None:
        if not self._take_report(run):
            return
        try:
            if kind == "complete":
                await self.client.complete_job(run.job.id, run.job.lease_token, value)
            else:
                await self.client.fail_job(run.job.id, run.job.lease_token, value, retryable)
        except JobQueueError as error:
            self._log_report_error(run, error)

    def _finished(self, run: _Run) -> None:
        self._running.pop(run.job.id, None)
        self._tasks.pop(run.job.id, None)
        self._wake.set()

    async def _beat(self, run: _Run, progress: Any = None) -> Optional[Heartbeat]:
        try:
            beat = await self.client.heartbeat_job(run.job.id, run.job.lease_token, progress, self.lease_seconds)
        except JobQueueError as error:
            return self._after_beat(run, None, error)
        return self._after_beat(run, beat, None)

    async def _heartbeat_loop(self) -> None:
        # Until run() ends, not only until stop(): handlers finishing in the grace period keep their leases.
        while not await _wait(self._done, self.heartbeat_interval):
            await asyncio.gather(*(self._beat(r) for r in list(self._running.values()) if not r.reported))

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=self.grace_seconds)
        left = [(self._running[job_id], task) for job_id, task in list(self._tasks.items())]
        for run, task in left:
            run.cancelled.set()
            await self._report(run, "fail", self._grace_expired_message(), True)
            task.cancel()
        await asyncio.gather(*(task for _, task in left), return_exceptions=True)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Waits for ``event`` at most ``seconds``; whether it was set."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False
