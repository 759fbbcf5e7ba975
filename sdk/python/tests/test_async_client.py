"""The asyncio client against the real system: every route family through ``AsyncJobQueueClient``."""

from __future__ import annotations

import asyncio
import unittest
import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional

import jobqueue
from jobqueue import AsyncJobQueueClient, AuthenticationError, ConflictError, JobQueueError, NotFoundError
from support import PASSWORD, URL, register_tenant, unique_email, wait_until_async

TOMORROW = datetime.now(timezone.utc) + timedelta(days=1)


class AsyncClientTests(unittest.IsolatedAsyncioTestCase):
    account: jobqueue.AuthResult

    @classmethod
    def setUpClass(cls) -> None:
        cls.account = register_tenant("async")

    async def asyncSetUp(self) -> None:
        # One client per test: IsolatedAsyncioTestCase gives each test its own event loop.
        self.client = AsyncJobQueueClient(URL, api_key=self.account.api_key.key)

    async def asyncTearDown(self) -> None:
        await self.client.aclose()

    async def wait_for_status(self, job_id: str, *statuses: str) -> jobqueue.Job:
        async def reached() -> Optional[jobqueue.Job]:
            job = await self.client.get_job(job_id)
            return job if job.status in statuses else None

        return await wait_until_async(reached, f"job {job_id} reached {statuses}")

    async def test_jobs_results_attempts_cancel_retry(self) -> None:
        echo = await self.client.enqueue("echo", {"n": 1}, tags={"via": "async"})
        self.assertEqual((echo.status, echo.tags), ("pending", {"via": "async"}))
        self.assertEqual((await self.wait_for_status(echo.id, "completed")).result, {"n": 1})
        self.assertEqual(await self.client.get_job_result(echo.id), {"n": 1})
        self.assertEqual([a.outcome for a in await self.client.get_job_attempts(echo.id)], ["completed"])

        later = await self.client.enqueue("noop", scheduled_at=TOMORROW)
        self.assertIsNone(await self.client.get_job_result(later.id))
        self.assertEqual((await self.client.cancel_job(later.id)).status, "cancelled")
        with self.assertRaises(ConflictError):
            await self.client.cancel_job(later.id)

        failing = await self.client.enqueue("fail", max_attempts=1)
        await self.wait_for_status(failing.id, "dead")
        entry = await wait_until_async(
            lambda: self._dlq_entry_of(failing.id), f"the DLQ entry of {failing.id}")
        self.assertEqual((await self.client.requeue_dlq(entry.id)).new_job.type, "fail")
        self.assertEqual((await self.client.retry_job(failing.id)).id, failing.id)

        self.assertGreaterEqual(await self.client.purge_jobs(datetime.now(timezone.utc) + timedelta(seconds=1)), 1)
        with self.assertRaises(NotFoundError):
            await self.client.get_job(echo.id)

    async def _dlq_entry_of(self, job_id: str) -> Optional[jobqueue.DlqEntry]:
        return next((e for e in (await self.client.list_dlq()).items if e.job_id == job_id), None)

    async def test_batch_pages_and_async_iteration(self) -> None:
        run = uuid.uuid4().hex
        enqueued = await self.client.enqueue_batch([{"type": "noop", "scheduled_at": TOMORROW, "tags": {"run": run}} for _ in range(120)])
        page = await self.client.list_jobs(tags={"run": run}, limit=50)
        self.assertEqual((page.total_count, len(page.items), page.has_more), (120, 50, True))
        cursor_page = await self.client.list_jobs_cursor(tags={"run": run}, limit=50)
        self.assertTrue(cursor_page.has_more and cursor_page.next_cursor)
        seen = [job.id async for job in self.client.iter_jobs(tags={"run": run}, status="pending", page_size=50)]
        self.assertEqual(sorted(seen), sorted(j.id for j in enqueued), "three pages: 50, 50, 20")

    async def test_stats_workers_health_metrics(self) -> None:
        await self.client.enqueue("noop", scheduled_at=TOMORROW, queue_name="critical")
        stats = await self.client.get_stats()
        self.assertEqual({q.queue: q.depth for q in stats.queues}["critical"], 1)
        self.assertTrue(await self.client.list_workers())
        self.assertIn((await self.client.health()).status, ("ok", "degraded"))
        self.assertIn("jobqueue_", await self.client.get_metrics())

    async def test_webhooks(self) -> None:
        hook = await self.client.create_webhook("http://127.0.0.1:9/hook", events=["job.completed"], secret="a-secret-of-20-chars")
        self.assertEqual((hook.events, hook.secret), (["job.completed"], None), "a given secret is never echoed")
        self.assertEqual((await self.client.patch_webhook(hook.id, enabled=False)).enabled, False)
        self.assertEqual((await self.client.get_webhook(hook.id)).enabled, False)
        self.assertEqual([w.id for w in await self.client.list_webhooks()], [hook.id])
        queued = await self.client.test_webhook(hook.id)
        page = await self.client.list_webhook_deliveries(hook.id)
        self.assertIn(queued.delivery_id, [d.id for d in page.items])
        self.assertEqual((await self.client.delete_webhook(hook.id)).status, "deleted")
        with self.assertRaises(NotFoundError):
            await self.client.delete_webhook(hook.id)

    async def test_cron(self) -> None:
        cron = await self.client.create_cron("hourly", "noop", "0 * * * *", enabled=False)
        self.assertFalse(cron.enabled)
        self.assertEqual((await self.client.get_cron(cron.id)).name, "hourly")
        self.assertEqual((await self.client.patch_cron(cron.id, cron_expression="15 * * * *")).cron_expression, "15 * * * *")
        self.assertEqual([c.id for c in await self.client.list_cron()], [cron.id])
        self.assertEqual((await self.client.delete_cron(cron.id)).status, "deleted")

    async def test_keys_usage_auth_portal(self) -> None:
        created = await self.client.create_api_key("async-ci")
        self.assertIn(created.id, [k.id for k in await self.client.list_api_keys()])
        self.assertEqual((await self.client.delete_api_key(created.id)).status, "deleted")
        self.assertEqual((await self.client.get_usage()).tier, "free")

        email = unique_email("async-login")
        async with AsyncJobQueueClient(URL, max_retries=30) as anonymous:
            registered = await anonymous.register(email, PASSWORD)
            login = await anonymous.login(email, PASSWORD)
            self.assertTrue(await anonymous.forgot_password(email))
            with self.assertRaises(AuthenticationError):
                await anonymous.login(email, "wrong password")
        self.assertEqual(login.user.email, email)
        async with AsyncJobQueueClient(URL, token=login.token) as by_token:
            self.assertEqual((await by_token.get_portal_usage()).key_id, registered.api_key.id)
            self.assertTrue((await by_token.regenerate_key()).key.startswith("qly_"))
            with self.assertRaises(JobQueueError) as billing:
                await by_token.create_customer_portal()
            self.assertIn(billing.exception.status, (400, 503))

    async def test_errors(self) -> None:
        with self.assertRaises(NotFoundError) as missing:
            await self.client.get_cron("00000000-0000-4000-8000-000000000000")
        self.assertEqual(missing.exception.status, 404)
        self.assertIn("not found", str(missing.exception))
        with self.assertRaises(JobQueueError) as bad:
            await self.client.get_job_attempts("nope")
        self.assertEqual((bad.exception.status, str(bad.exception)), (400, "invalid job id 'nope': must be a UUID"))

    async def test_concurrent_calls_share_one_client(self) -> None:
        jobs = await asyncio.gather(*(self.client.enqueue("noop", scheduled_at=TOMORROW) for _ in range(10)))
        self.assertEqual(len({j.id for j in jobs}), 10)


if __name__ == "__main__":
    unittest.main()
