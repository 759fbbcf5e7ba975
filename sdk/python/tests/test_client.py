"""The sync client against the real system: every route family, the bare answers, errors and retries."""

from __future__ import annotations

import threading
import unittest
import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional

import jobqueue
from jobqueue import (
    AuthenticationError,
    ConflictError,
    JobQueueClient,
    JobQueueError,
    NotFoundError,
    RateLimitError,
)
from support import ADMIN_KEY, PASSWORD, URL, register_tenant, unique_email, wait_until

TOMORROW = datetime.now(timezone.utc) + timedelta(days=1)
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


class ClientTestCase(unittest.TestCase):
    account: jobqueue.AuthResult
    client: JobQueueClient

    @classmethod
    def setUpClass(cls) -> None:
        cls.account = register_tenant(cls.__name__.lower())
        assert cls.account.api_key is not None
        cls.client = JobQueueClient(URL, api_key=cls.account.api_key.key)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()

    def wait_for_status(self, job_id: str, *statuses: str) -> jobqueue.Job:
        def reached() -> Optional[jobqueue.Job]:
            job = self.client.get_job(job_id)
            return job if job.status in statuses else None

        return wait_until(reached, f"job {job_id} reached {statuses}")


class JobsTests(ClientTestCase):
    def test_enqueue_runs_and_stores_the_result_and_attempts(self) -> None:
        job = self.client.enqueue("echo", {"to": "ada@example.com"}, priority=8, max_attempts=2, queue_name="critical", tags={"team": "py"})
        self.assertEqual((job.type, job.status, job.priority, job.max_attempts, job.queue_name), ("echo", "pending", 8, 2, "critical"))
        self.assertEqual(job.tags, {"team": "py"})
        self.assertEqual(job.tenant, self.account.user.id)
        self.assertIsInstance(job.created_at, datetime)

        done = self.wait_for_status(job.id, "completed")
        self.assertEqual(done.result, {"to": "ada@example.com"})
        self.assertEqual(self.client.get_job_result(job.id), {"to": "ada@example.com"}, "the bare result, not an envelope")
        attempts = self.client.get_job_attempts(job.id)
        self.assertEqual([(a.attempt, a.outcome) for a in attempts], [(1, "completed")])
        self.assertIsNotNone(attempts[0].duration_ms)

    def test_result_of_a_job_without_one_is_none(self) -> None:
        later = self.client.enqueue("noop", scheduled_at=TOMORROW)
        self.assertEqual(later.scheduled_at.date(), TOMORROW.date())
        self.assertIsNone(self.client.get_job_result(later.id))
        self.assertEqual(self.client.get_job_attempts(later.id), [])

    def test_batch_and_filters(self) -> None:
        run = uuid.uuid4().hex
        jobs = self.client.enqueue_batch([
            {"type": "noop", "tags": {"run": run, "kind": "a"}, "scheduled_at": TOMORROW},
            {"type": "noop", "tags": {"run": run, "kind": "b"}, "scheduled_at": TOMORROW, "queue_name": "bulk"},
            {"type": "other", "tags": {"run": run, "kind": "a"}, "scheduled_at": TOMORROW, "priority": 2},
        ])
        self.assertEqual([j.type for j in jobs], ["noop", "noop", "other"])

        page = self.client.list_jobs(tags={"run": run}, limit=2)
        self.assertEqual((page.total_count, len(page.items), page.limit, page.has_more), (3, 2, 2, True))
        self.assertEqual({j.id for j in self.client.list_jobs(tags=f"run:{run},kind:a").items}, {jobs[0].id, jobs[2].id})
        self.assertEqual([j.id for j in self.client.list_jobs(tags={"run": run}, job_type="other").items], [jobs[2].id])
        self.assertEqual([j.id for j in self.client.list_jobs(tags={"run": run}, queue="bulk").items], [jobs[1].id])
        self.assertEqual(self.client.list_jobs(tags={"run": run}, status="completed").total_count, 0)
        self.assertEqual(len(self.client.list_jobs(tags={"run": run}, limit=2, offset=2).items), 1)

    def test_a_bad_batch_item_refuses_the_whole_batch(self) -> None:
        run = uuid.uuid4().hex
        with self.assertRaises(JobQueueError) as refused:
            self.client.enqueue_batch([{"type": "noop", "tags": {"run": run}}, {"type": "noop", "priority": 42}])
        self.assertEqual(refused.exception.status, 422)
        self.assertIn("job[1]", str(refused.exception))
        self.assertEqual(self.client.list_jobs(tags={"run": run}).total_count, 0)

    def test_iter_jobs_walks_every_cursor_page(self) -> None:
        run = uuid.uuid4().hex
        enqueued = self.client.enqueue_batch([{"type": "noop", "scheduled_at": TOMORROW, "tags": {"run": run}} for _ in range(250)])

        first = self.client.list_jobs_cursor(tags={"run": run}, limit=100)
        self.assertEqual((len(first.items), first.has_more, first.limit), (100, True, 100))
        self.assertIsNotNone(first.next_cursor)

        seen = [job.id for job in self.client.iter_jobs(tags={"run": run}, page_size=100)]
        self.assertEqual(len(seen), 250, "three pages: 100, 100, 50")
        self.assertEqual(set(seen), {j.id for j in enqueued})
        self.assertEqual(list(self.client.iter_jobs(tags={"run": run}, status="completed")), [])

    def test_cancel_a_waiting_job_and_then_again(self) -> None:
        job = self.client.enqueue("noop", scheduled_at=TOMORROW)
        cancelled = self.client.cancel_job(job.id)
        self.assertEqual((cancelled.id, cancelled.status, cancelled.cancel_requested), (job.id, "cancelled", False))
        self.assertEqual(self.client.get_job(job.id).status, "cancelled")
        with self.assertRaises(ConflictError) as again:
            self.client.cancel_job(job.id)
        self.assertEqual(again.exception.status, 409)
        self.assertIn("cannot be cancelled", str(again.exception))

    def test_cancel_a_running_job(self) -> None:
        job = self.client.enqueue("sleep", {"ms": 20000})
        self.wait_for_status(job.id, "running")
        asked = self.client.cancel_job(job.id)
        self.assertEqual((asked.status, asked.cancel_requested), ("running", True))
        self.assertEqual(self.wait_for_status(job.id, "cancelled", "completed").status, "cancelled")

    def test_a_failing_job_goes_dead_then_dlq_requeue_and_retry(self) -> None:
        job = self.client.enqueue("fail", max_attempts=1)
        dead = self.wait_for_status(job.id, "dead")
        self.assertTrue(dead.error_message)

        entry = wait_until(lambda: next((e for e in self.client.list_dlq().items if e.job_id == job.id), None), "the DLQ entry")
        self.assertEqual((entry.type, entry.total_attempts), ("fail", 1))
        self.assertEqual(entry.last_error, dead.error_message)

        requeued = self.client.requeue_dlq(entry.id)
        self.assertEqual(requeued.dlq_entry_id, entry.id)
        self.assertEqual(requeued.new_job.type, "fail")
        self.assertNotEqual(requeued.new_job.id, job.id)
        with self.assertRaises(ConflictError):
            self.client.requeue_dlq(entry.id)
        self.assertIn(entry.id, [e.id for e in self.client.list_dlq(include_requeued=True, limit=100).items])

        retried = self.client.retry_job(job.id)
        self.assertEqual((retried.id, retried.attempts), (job.id, 0))
        self.assertIn(retried.status, ("pending", "running", "dead"))

        completed = self.client.enqueue("noop")
        self.wait_for_status(completed.id, "completed")
        with self.assertRaises(ConflictError) as refused:
            self.client.retry_job(completed.id)
        self.assertIn("only failed or dead jobs can be retried", str(refused.exception))

    def test_purge_deletes_ended_jobs(self) -> None:
        job = self.client.enqueue("noop")
        self.wait_for_status(job.id, "completed")
        waiting = self.client.enqueue("noop", scheduled_at=TOMORROW)
        deleted = self.client.purge_jobs(datetime.now(timezone.utc) + timedelta(seconds=1))
        self.assertGreaterEqual(deleted, 1)
        with self.assertRaises(NotFoundError):
            self.client.get_job(job.id)
        self.assertEqual(self.client.get_job(waiting.id).status, "pending", "a waiting job is not purged")


class StatsAndWorkersTests(ClientTestCase):
    def test_stats_count_the_tenants_jobs(self) -> None:
        self.client.enqueue_batch([{"type": "noop", "scheduled_at": TOMORROW, "queue_name": "bulk"}] * 3)
        stats = self.client.get_stats()
        self.assertEqual((stats.total_jobs, stats.pending), (3, 3))
        self.assertEqual({q.queue: q.depth for q in stats.queues}, {"critical": 0, "default": 0, "bulk": 3})

    def test_workers_list_the_built_in_workers(self) -> None:
        workers = self.client.list_workers()
        self.assertTrue(workers, "the system's workers")
        self.assertTrue(all(w.status == "active" and w.concurrency > 0 for w in workers))
        self.assertTrue(any(w.kind == "built-in" for w in workers))
        self.assertIsInstance(self.client.list_workers(active_only=False), list)


class WebhookTests(ClientTestCase):
    def test_create_get_patch_deliveries_test_delete(self) -> None:
        hook = self.client.create_webhook("http://127.0.0.1:9/hook", description="py sdk")
        self.assertTrue(hook.secret and hook.secret.startswith("whsec_"), "a generated secret, shown once")
        self.assertEqual(sorted(hook.events), ["job.completed", "job.dead", "job.failed"], "the original's default events")
        self.assertTrue(hook.enabled and hook.has_secret)

        got = self.client.get_webhook(hook.id)
        self.assertEqual((got.url, got.description, got.secret), (hook.url, "py sdk", None))
        changed = self.client.patch_webhook(hook.id, events=["job.dead"], description="changed", secret="s" * 20)
        self.assertEqual((changed.events, changed.description), (["job.dead"], "changed"))
        self.assertEqual([w.id for w in self.client.list_webhooks()], [hook.id])

        queued = self.client.test_webhook(hook.id)
        self.assertEqual(queued.event, "webhook.test")
        deliveries = wait_until(lambda: self.client.list_webhook_deliveries(hook.id, limit=10).items, "the test delivery is logged")
        self.assertEqual((deliveries[0].id, deliveries[0].event), (queued.delivery_id, "webhook.test"))

        self.assertEqual(self.client.delete_webhook(hook.id).status, "deleted")
        with self.assertRaises(NotFoundError):
            self.client.get_webhook(hook.id)

    def test_a_refused_url(self) -> None:
        with self.assertRaises(JobQueueError) as refused:
            self.client.create_webhook("ftp://example.com/hook")
        self.assertEqual(refused.exception.status, 422)


class CronTests(ClientTestCase):
    def test_create_get_patch_list_delete(self) -> None:
        cron = self.client.create_cron("nightly", "noop", "30 2 * * *", timezone="Europe/Paris", payload={"r": 1},
                                       queue_name="bulk", priority=3, max_attempts=2, tags={"team": "py"})
        self.assertEqual((cron.name, cron.job_type, cron.timezone, cron.priority, cron.enabled), ("nightly", "noop", "Europe/Paris", 3, True))
        self.assertIsInstance(cron.next_run_at, datetime)
        self.assertEqual(self.client.get_cron(cron.id).cron_expression, "30 2 * * *")

        paused = self.client.patch_cron(cron.id, enabled=False, priority=4)
        self.assertEqual((paused.enabled, paused.priority), (False, 4))
        self.assertEqual([c.id for c in self.client.list_cron()], [cron.id])

        with self.assertRaises(ConflictError):
            self.client.create_cron("nightly", "noop", "0 3 * * *")
        with self.assertRaises(JobQueueError) as invalid:
            self.client.create_cron("bad", "noop", "61 * * * *")
        self.assertEqual(invalid.exception.status, 422)
        self.assertIn("invalid cron expression '61 * * * *'", str(invalid.exception))

        self.assertEqual(self.client.delete_cron(cron.id).status, "deleted")
        with self.assertRaises(NotFoundError):
            self.client.get_cron(cron.id)


class AccountTests(ClientTestCase):
    def test_keys_create_use_delete(self) -> None:
        created = self.client.create_api_key("ci", tier="free")
        self.assertTrue(created.key.startswith("qly_"))
        self.assertEqual((created.name, created.tier), ("ci", "free"))
        self.assertIn(created.id, [k.id for k in self.client.list_api_keys()])
        with JobQueueClient(URL, api_key=created.key) as second:
            self.assertEqual(second.get_usage().tier, "free", "the new key is the same account")
            self.assertEqual(self.client.delete_api_key(created.id).status, "deleted")
            with self.assertRaises(AuthenticationError) as refused:
                second.get_stats()
            self.assertEqual(refused.exception.status, 401)

    def test_a_tier_above_the_accounts_is_refused(self) -> None:
        with self.assertRaises(JobQueueError) as refused:
            self.client.create_api_key("big", tier="business")
        self.assertIn(refused.exception.status, (400, 403))

    def test_usage(self) -> None:
        self.client.enqueue("noop", scheduled_at=TOMORROW)
        usage = self.client.get_usage()
        self.assertEqual((usage.tier, usage.jobs_limit, usage.limit_reached), ("free", 1000, False))
        self.assertGreaterEqual(usage.jobs_used, 1)

    def test_login_portal_and_regenerate(self) -> None:
        email = unique_email("login")
        with JobQueueClient(URL, max_retries=30) as anonymous:
            registered = anonymous.register(email, PASSWORD)
            with self.assertRaises(ConflictError):
                anonymous.register(email, PASSWORD)
            with self.assertRaises(AuthenticationError) as wrong:
                anonymous.login(email, "not the password")
            self.assertEqual(str(wrong.exception), "invalid email or password")
            login = anonymous.login(email, PASSWORD)
            self.assertIn("reset link", anonymous.forgot_password(email))
            with self.assertRaises(JobQueueError) as bad_token:
                anonymous.reset_password("not-a-token", "another password")
            self.assertEqual(bad_token.exception.status, 400)
        self.assertEqual(login.user.id, registered.user.id)
        self.assertEqual([k.id for k in login.keys], [registered.api_key.id])

        with JobQueueClient(URL, token=login.token) as by_token:
            self.assertEqual(by_token.get_portal_usage().key_id, registered.api_key.id)
            new_key = by_token.regenerate_key()
        self.assertNotEqual(new_key.key, registered.api_key.key)
        with JobQueueClient(URL, api_key=new_key.key) as fresh, JobQueueClient(URL, api_key=registered.api_key.key) as old:
            self.assertEqual(fresh.get_usage().tier, "free")
            with self.assertRaises(AuthenticationError):
                old.get_usage()
            with self.assertRaises(AuthenticationError):
                fresh.get_portal_usage()  # a login token only

    def test_billing_without_stripe_says_so(self) -> None:
        with self.assertRaises(JobQueueError) as refused:
            self.client.create_checkout("pro")
        self.assertEqual(refused.exception.status, 503)
        self.assertIn("billing is not configured", str(refused.exception))


class OperationsTests(ClientTestCase):
    def test_health_is_the_bare_answer(self) -> None:
        with JobQueueClient(URL) as anonymous:
            health = anonymous.health()
            self.assertIn(health.status, ("ok", "degraded"))
            self.assertEqual(health.checks.get("postgres"), "ok")
            self.assertTrue(health.uptime)
            self.assertIn("jobqueue_", anonymous.get_metrics())

    def test_the_admin_key_sees_every_tenant(self) -> None:
        job = self.client.enqueue("noop", scheduled_at=TOMORROW)
        with JobQueueClient(URL, api_key=ADMIN_KEY) as admin:
            self.assertEqual(admin.get_job(job.id).tenant, self.account.user.id)


class ErrorTests(ClientTestCase):
    def test_not_found_carries_the_message_status_and_request_id(self) -> None:
        with self.assertRaises(NotFoundError) as missing:
            self.client.get_job(UNKNOWN_ID)
        error = missing.exception
        self.assertEqual((str(error), error.status), (f"job {UNKNOWN_ID} not found", 404))
        self.assertTrue(error.request_id)
        self.assertIsInstance(error, JobQueueError)

    def test_bad_request_and_validation(self) -> None:
        with self.assertRaises(JobQueueError) as bad_id:
            self.client.get_job("not-a-uuid")
        self.assertEqual((bad_id.exception.status, str(bad_id.exception)), (400, "invalid job id 'not-a-uuid': must be a UUID"))
        with self.assertRaises(JobQueueError) as invalid:
            self.client.enqueue("x", priority=42)
        self.assertEqual((invalid.exception.status, str(invalid.exception)), (422, "'priority' must be between 1 and 10, got 42"))
        with self.assertRaises(JobQueueError) as bad_query:
            self.client.list_jobs(limit=-1)
        self.assertEqual(bad_query.exception.status, 400)

    def test_wrong_credentials(self) -> None:
        with JobQueueClient(URL, api_key="qly_" + "0" * 32) as wrong:
            with self.assertRaises(AuthenticationError) as refused:
                wrong.get_stats()
        self.assertEqual(refused.exception.status, 401)
        self.assertTrue(str(refused.exception))
        with self.assertRaises(ValueError):
            JobQueueClient(URL, api_key="a", token="b")

    def test_connection_refused_is_an_error_without_status(self) -> None:
        with JobQueueClient("http://127.0.0.1:9", max_retries=1) as nowhere:
            with self.assertRaises(jobqueue.ConnectionFailedError) as failed:
                nowhere.get_stats()
        self.assertIsNone(failed.exception.status)

    def test_429_is_retried_after_retry_after(self) -> None:
        # The gateway's bucket per key holds RATE_LIMIT_BURST (20) requests: 60 at once overflow it.
        def burst(client: JobQueueClient) -> list:
            outcomes: list = []

            def call() -> None:
                try:
                    outcomes.append(client.get_stats())
                except JobQueueError as error:
                    outcomes.append(error)

            threads = [threading.Thread(target=call) for _ in range(60)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return outcomes

        key = self.client.create_api_key("burst").key
        with JobQueueClient(URL, api_key=key, max_retries=0) as impatient:
            refusals = [o for o in burst(impatient) if isinstance(o, JobQueueError)]
        self.assertTrue(refusals, "60 requests at once exceed the burst")
        self.assertTrue(all(isinstance(r, RateLimitError) and r.status == 429 and r.retry_after >= 1 for r in refusals), refusals[:3])
        self.assertIn("rate limit exceeded", str(refusals[0]))
        with JobQueueClient(URL, api_key=key, max_retries=10) as patient:
            outcomes = burst(patient)
        self.assertEqual([o for o in outcomes if isinstance(o, Exception)], [], "every refusal was waited out and retried")


if __name__ == "__main__":
    unittest.main()
