"""The thread-based ``Worker`` on the lease protocol, against the real system: each test serves a job type of its
own that no built-in worker runs, so only this worker can take its jobs."""

from __future__ import annotations

import contextlib
import threading
import time
import unittest
from typing import Iterator, List, Optional

import jobqueue
from jobqueue import JobContext, JobQueueClient, NonRetryableError, Worker
from support import URL, fresh_type, register_tenant, wait_until

# Short leases and polls so heartbeats, cancellations and stops happen within seconds.
LEASE_SECONDS = 6
WAIT_SECONDS = 2


class WorkerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.client = JobQueueClient(URL, api_key=register_tenant("worker").api_key.key)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()

    def worker(self, **options) -> Worker:
        settings = dict(concurrency=4, lease_seconds=LEASE_SECONDS, wait_seconds=WAIT_SECONDS, grace_seconds=10.0)
        settings.update(options)
        return Worker(self.client, **settings)

    @contextlib.contextmanager
    def running(self, worker: Worker) -> Iterator[threading.Thread]:
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            worker.stop()
            thread.join(WAIT_SECONDS + worker.grace_seconds + 15)
            self.assertFalse(thread.is_alive(), "run() returned after stop()")

    def wait_for_status(self, job_id: str, *statuses: str) -> jobqueue.Job:
        def reached() -> Optional[jobqueue.Job]:
            job = self.client.get_job(job_id)
            return job if job.status in statuses else None

        return wait_until(reached, f"job {job_id} reached {statuses}")

    def test_a_fresh_type_runs_and_completes_with_the_handlers_result(self) -> None:
        job_type = fresh_type("complete")
        worker = self.worker(worker_id=f"py-sync-{job_type}")

        @worker.handler(job_type)
        def greet(job: jobqueue.LeasedJob, context: JobContext) -> dict:
            self.assertTrue(job.lease_token)
            self.assertFalse(context.cancelled.is_set())
            return {"greeting": f"hello {job.payload['name']}", "attempt": job.attempts}

        with self.running(worker):
            job = self.client.enqueue(job_type, {"name": "ada"})
            done = self.wait_for_status(job.id, "completed", "failed", "dead")
            remote = wait_until(lambda: next((w for w in self.client.list_workers() if w.id == worker.worker_id), None), "the worker is listed")
        self.assertEqual(done.status, "completed", done.error_message)
        self.assertEqual(done.result, {"greeting": "hello ada", "attempt": 1})
        self.assertEqual(self.client.get_job_result(job.id), {"greeting": "hello ada", "attempt": 1})
        self.assertEqual([(a.worker_id, a.outcome) for a in self.client.get_job_attempts(job.id)], [(worker.worker_id, "completed")])
        self.assertEqual((remote.kind, remote.types), ("remote", [job_type]))
        stopped = next(w for w in self.client.list_workers(active_only=False) if w.id == worker.worker_id)
        self.assertEqual(stopped.status, "stopped", "deregistered by the graceful stop")

    def test_a_raising_handler_fails_the_attempt_and_the_job_is_retried(self) -> None:
        job_type = fresh_type("retry")
        worker = self.worker()
        calls: List[int] = []

        def flaky(job: jobqueue.LeasedJob, context: JobContext) -> str:
            calls.append(job.attempts)
            if len(calls) == 1:
                raise RuntimeError("the first try breaks")
            return "second time lucky"

        worker.register(job_type, flaky)
        with self.running(worker):
            job = self.client.enqueue(job_type, max_attempts=3)
            done = self.wait_for_status(job.id, "completed", "dead")
        self.assertEqual((done.status, done.attempts, done.result), ("completed", 2, "second time lucky"))
        attempts = self.client.get_job_attempts(job.id)
        self.assertEqual([a.outcome for a in attempts], ["failed", "completed"])
        self.assertEqual(attempts[0].error, "RuntimeError: the first try breaks")

    def test_a_non_retryable_error_sends_the_job_to_the_dlq(self) -> None:
        job_type = fresh_type("dead")
        worker = self.worker()

        @worker.handler(job_type)
        def refuse(job: jobqueue.LeasedJob, context: JobContext) -> None:
            raise NonRetryableError("the payload has no address")

        with self.running(worker):
            job = self.client.enqueue(job_type, max_attempts=5)
            dead = self.wait_for_status(job.id, "dead", "completed")
        self.assertEqual((dead.status, dead.attempts, dead.error_message), ("dead", 1, "the payload has no address"))
        self.assertIn(job.id, [e.job_id for e in self.client.list_dlq().items])

    def test_cancellation_reaches_the_handler(self) -> None:
        job_type = fresh_type("cancel")
        worker = self.worker()
        started, saw_cancel = threading.Event(), threading.Event()

        @worker.handler(job_type)
        def long_running(job: jobqueue.LeasedJob, context: JobContext) -> str:
            started.set()
            if context.cancelled.wait(30):
                saw_cancel.set()
            return "stopped early"

        with self.running(worker):
            job = self.client.enqueue(job_type)
            self.assertTrue(started.wait(30), "the handler started")
            asked = self.client.cancel_job(job.id)
            self.assertTrue(asked.cancel_requested)
            self.assertTrue(saw_cancel.wait(LEASE_SECONDS + 10), "the next heartbeat set context.cancelled")
            self.assertEqual(self.wait_for_status(job.id, "cancelled", "completed", "failed").status, "cancelled")

    def test_heartbeat_with_progress_extends_the_lease(self) -> None:
        job_type = fresh_type("progress")
        worker = self.worker()
        beats: List[jobqueue.Heartbeat] = []

        @worker.handler(job_type)
        def reporting(job: jobqueue.LeasedJob, context: JobContext) -> int:
            for percent in (50, 100):
                beats.append(context.heartbeat({"percent": percent}))
            return len(beats)

        with self.running(worker):
            job = self.client.enqueue(job_type)
            self.assertEqual(self.wait_for_status(job.id, "completed", "failed", "dead").result, 2)
        self.assertTrue(all(b is not None and b.lease_expires_at is not None and not b.cancel_requested for b in beats), beats)

    def test_leases_only_as_many_jobs_as_free_slots(self) -> None:
        job_type = fresh_type("slots")
        worker = self.worker(concurrency=2)
        release = threading.Event()
        lock, running, most = threading.Lock(), [0], [0]

        @worker.handler(job_type)
        def blocking(job: jobqueue.LeasedJob, context: JobContext) -> None:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            release.wait(30)
            with lock:
                running[0] -= 1

        with self.running(worker):
            jobs = self.client.enqueue_batch([{"type": job_type}] * 5)
            wait_until(lambda: running[0] == 2, "two handlers run")
            time.sleep(WAIT_SECONDS + 1)  # a worker leasing beyond its slots would have taken more by now
            self.assertEqual(self.client.list_jobs(job_type=job_type, status="running").total_count, 2)
            self.assertEqual(self.client.list_jobs(job_type=job_type, status="pending").total_count, 3)
            release.set()
            for job in jobs:
                self.assertEqual(self.wait_for_status(job.id, "completed", "failed", "dead").status, "completed")
        self.assertEqual(most[0], 2)

    def test_graceful_stop_lets_a_running_handler_finish(self) -> None:
        job_type = fresh_type("graceful")
        worker = self.worker(grace_seconds=20.0)
        started = threading.Event()

        @worker.handler(job_type)
        def slow(job: jobqueue.LeasedJob, context: JobContext) -> str:
            started.set()
            time.sleep(2)
            return "finished after stop()"

        with self.running(worker) as thread:
            job = self.client.enqueue(job_type)
            self.assertTrue(started.wait(30), "the handler started")
            worker.stop()
            thread.join(30)
        done = self.client.get_job(job.id)
        self.assertEqual((done.status, done.result), ("completed", "finished after stop()"))

    def test_graceful_stop_hands_back_a_handler_past_the_grace_period(self) -> None:
        job_type = fresh_type("handback")
        worker = self.worker(grace_seconds=1.0)
        started, saw_cancel = threading.Event(), threading.Event()

        @worker.handler(job_type)
        def stuck(job: jobqueue.LeasedJob, context: JobContext) -> None:
            started.set()
            if context.cancelled.wait(30):
                saw_cancel.set()

        with self.running(worker) as thread:
            job = self.client.enqueue(job_type, max_attempts=3)
            self.assertTrue(started.wait(30), "the handler started")
            worker.stop()
            thread.join(30)
        self.assertTrue(saw_cancel.is_set(), "the handler was told to stop")
        handed_back = self.client.get_job(job.id)
        self.assertIn(handed_back.status, ("failed", "pending"), "retryable: it runs again")
        self.assertEqual(handed_back.error_message, "worker stopped: the job did not finish within the 1 s grace period")


if __name__ == "__main__":
    unittest.main()
