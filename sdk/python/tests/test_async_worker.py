"""``AsyncWorker`` on the lease protocol against the real system, each test with a job type of its own."""

from __future__ import annotations

import asyncio
import contextlib
import unittest
from typing import AsyncIterator, List, Optional

import jobqueue
from jobqueue import AsyncJobQueueClient, AsyncWorker, JobContext, NonRetryableError
from support import URL, fresh_type, register_tenant, wait_until_async

LEASE_SECONDS = 6
WAIT_SECONDS = 2


class AsyncWorkerTests(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.key = register_tenant("async-worker").api_key.key

    async def asyncSetUp(self) -> None:
        self.client = AsyncJobQueueClient(URL, api_key=self.key)

    async def asyncTearDown(self) -> None:
        await self.client.aclose()

    def worker(self, **options) -> AsyncWorker:
        settings = dict(concurrency=4, lease_seconds=LEASE_SECONDS, wait_seconds=WAIT_SECONDS, grace_seconds=10.0)
        settings.update(options)
        return AsyncWorker(self.client, **settings)

    @contextlib.asynccontextmanager
    async def running(self, worker: AsyncWorker) -> AsyncIterator["asyncio.Task[None]"]:
        task = asyncio.create_task(worker.run())
        try:
            yield task
        finally:
            worker.stop()
            await asyncio.wait_for(task, WAIT_SECONDS + worker.grace_seconds + 15)

    async def wait_for_status(self, job_id: str, *statuses: str) -> jobqueue.Job:
        async def reached() -> Optional[jobqueue.Job]:
            job = await self.client.get_job(job_id)
            return job if job.status in statuses else None

        return await wait_until_async(reached, f"job {job_id} reached {statuses}")

    async def test_a_fresh_type_runs_and_completes_with_the_handlers_result(self) -> None:
        job_type = fresh_type("async-complete")
        worker = self.worker()

        @worker.handler(job_type)
        async def double(job: jobqueue.LeasedJob, context: JobContext) -> dict:
            await asyncio.sleep(0.1)
            return {"doubled": job.payload["n"] * 2}

        async with self.running(worker):
            jobs = await asyncio.gather(*(self.client.enqueue(job_type, {"n": n}) for n in range(6)))
            done = [await self.wait_for_status(j.id, "completed", "failed", "dead") for j in jobs]
            listed = [w for w in await self.client.list_workers() if w.id == worker.worker_id]
        self.assertEqual([d.result for d in done], [{"doubled": n * 2} for n in range(6)])
        self.assertEqual([(w.kind, w.types) for w in listed], [("remote", [job_type])])
        self.assertEqual({a.worker_id for j in jobs for a in await self.client.get_job_attempts(j.id)}, {worker.worker_id})

    async def test_a_raising_handler_fails_the_attempt_and_the_job_is_retried(self) -> None:
        job_type = fresh_type("async-retry")
        worker = self.worker()
        calls: List[int] = []

        async def flaky(job: jobqueue.LeasedJob, context: JobContext) -> str:
            calls.append(job.attempts)
            if len(calls) == 1:
                raise ValueError("not yet")
            return "done"

        worker.register(job_type, flaky)
        async with self.running(worker):
            job = await self.client.enqueue(job_type, max_attempts=3)
            done = await self.wait_for_status(job.id, "completed", "dead")
        self.assertEqual((done.status, done.attempts), ("completed", 2))
        self.assertEqual([(a.outcome, a.error) for a in await self.client.get_job_attempts(job.id)],
                         [("failed", "ValueError: not yet"), ("completed", None)])

    async def test_a_non_retryable_error_is_dead_at_once(self) -> None:
        job_type = fresh_type("async-dead")
        worker = self.worker()

        @worker.handler(job_type)
        async def refuse(job: jobqueue.LeasedJob, context: JobContext) -> None:
            raise NonRetryableError("no such customer")

        async with self.running(worker):
            job = await self.client.enqueue(job_type)
            dead = await self.wait_for_status(job.id, "dead", "completed")
        self.assertEqual((dead.attempts, dead.error_message), (1, "no such customer"))

    async def test_cancellation_reaches_the_handler(self) -> None:
        job_type = fresh_type("async-cancel")
        worker = self.worker()
        started, saw_cancel = asyncio.Event(), asyncio.Event()

        @worker.handler(job_type)
        async def long_running(job: jobqueue.LeasedJob, context: JobContext) -> None:
            started.set()
            await asyncio.wait_for(context.cancelled.wait(), 30)
            saw_cancel.set()

        async with self.running(worker):
            job = await self.client.enqueue(job_type)
            await asyncio.wait_for(started.wait(), 30)
            self.assertTrue((await self.client.cancel_job(job.id)).cancel_requested)
            await asyncio.wait_for(saw_cancel.wait(), LEASE_SECONDS + 10)
            self.assertEqual((await self.wait_for_status(job.id, "cancelled", "completed", "failed")).status, "cancelled")

    async def test_heartbeat_with_progress(self) -> None:
        job_type = fresh_type("async-progress")
        worker = self.worker()

        @worker.handler(job_type)
        async def reporting(job: jobqueue.LeasedJob, context: JobContext) -> bool:
            beat = await context.heartbeat({"step": 1})
            return beat.lease_expires_at is not None and not beat.cancel_requested

        async with self.running(worker):
            job = await self.client.enqueue(job_type)
            self.assertIs((await self.wait_for_status(job.id, "completed", "failed", "dead")).result, True)

    async def test_graceful_stop_finishes_what_it_can_and_hands_back_the_rest(self) -> None:
        job_type = fresh_type("async-stop")
        worker = self.worker(grace_seconds=2.0)
        cancelled_seen: List[str] = []

        @worker.handler(job_type)
        async def either(job: jobqueue.LeasedJob, context: JobContext) -> str:
            if job.payload["quick"]:
                await asyncio.sleep(1)
                return "made it"
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled_seen.append(job.id)
                raise
            return "never"

        async with self.running(worker) as task:
            quick = await self.client.enqueue(job_type, {"quick": True})
            stuck = await self.client.enqueue(job_type, {"quick": False}, max_attempts=3)
            await self.wait_for_status(stuck.id, "running")
            await self.wait_for_status(quick.id, "running", "completed")
            worker.stop()
            await asyncio.wait_for(task, 30)
        self.assertEqual((await self.client.get_job(quick.id)).result, "made it")
        self.assertIn((await self.client.get_job(stuck.id)).status, ("failed", "pending"))
        self.assertEqual(cancelled_seen, [stuck.id], "the handler past the grace period was cancelled")
        self.assertEqual((await self.client.get_job(stuck.id)).error_message,
                         "worker stopped: the job did not finish within the 2 s grace period")

    async def test_sync_handlers_are_refused(self) -> None:
        with self.assertRaises(TypeError):
            self.worker().register("x", lambda job, context: None)


if __name__ == "__main__":
    unittest.main()
