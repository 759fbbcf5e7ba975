"""``verify_webhook_signature`` against real deliveries: a receiver on 127.0.0.1 (the Development system lets
webhooks reach loopback) gets JobQueue's signed POSTs, and the verifier accepts them and refuses any change."""

from __future__ import annotations

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

from jobqueue import JobQueueClient, WebhookSignatureError, verify_webhook_signature
from support import URL, register_tenant, wait_until

Delivery = Tuple[Dict[str, str], bytes, object]


class Receiver:
    """A webhook endpoint that records each delivery: its headers (case-insensitive, as frameworks give them), body."""

    def __init__(self) -> None:
        self.deliveries: List[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers.items()), body, self.headers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/jobqueue"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, predicate) -> Optional[Delivery]:
        return next((d for d in list(self.deliveries) if predicate(json.loads(d[1]), d[0])), None)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookSignatureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        account = register_tenant("webhooks")
        cls.client = JobQueueClient(URL, api_key=account.api_key.key)
        cls.receiver = Receiver()
        cls.hook = cls.client.create_webhook(cls.receiver.url, events=["job.completed"])
        cls.secret = cls.hook.secret
        job = cls.client.enqueue("echo", {"signed": True})
        cls.job_id = job.id
        cls.completed = wait_until(lambda: cls.receiver.find(lambda e, h: e.get("job_id") == job.id), "the job.completed delivery")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.delete_webhook(cls.hook.id)
        cls.client.close()
        cls.receiver.close()

    def refusal(self, secret: str, body: bytes, headers, **options) -> str:
        with self.assertRaises(WebhookSignatureError) as refused:
            verify_webhook_signature(secret, body, headers, **options)
        return refused.exception.reason

    def test_a_real_delivery_verifies(self) -> None:
        headers, body, message = self.completed
        verify_webhook_signature(self.secret, body, headers)
        verify_webhook_signature(self.secret, body, message)  # http.server's own header object
        event = json.loads(body)
        self.assertEqual((event["event"], event["job_id"], event["job_type"]), ("job.completed", self.job_id, "echo"))
        self.assertEqual(headers["X-Webhook-Event"], "job.completed")
        self.assertTrue(headers["X-Webhook-Signature"].startswith("sha256="))

    def test_header_names_in_any_letter_case(self) -> None:
        headers, body, _ = self.completed
        verify_webhook_signature(self.secret, body, {k.lower(): v for k, v in headers.items()})

    def test_a_changed_body_or_another_secret_is_refused(self) -> None:
        headers, body, _ = self.completed
        self.assertEqual(self.refusal(self.secret, body.replace(b"echo", b"ech0"), headers), "bad_signature")
        self.assertEqual(self.refusal(self.secret, body + b" ", headers), "bad_signature")
        self.assertEqual(self.refusal("whsec_another", body, headers), "bad_signature")
        unsigned = {k: v for k, v in headers.items() if k.lower() != "x-webhook-signature"}
        self.assertEqual(self.refusal(self.secret, body, unsigned), "bad_signature")

    def test_a_changed_or_missing_timestamp_is_refused(self) -> None:
        headers, body, _ = self.completed
        ts = int(headers["X-Webhook-Timestamp"])
        moved = dict(headers, **{"X-Webhook-Timestamp": str(ts + 1)})
        self.assertEqual(self.refusal(self.secret, body, moved), "bad_timestamped_signature")
        without = {k: v for k, v in headers.items() if k.lower() != "x-webhook-signature-timestamped"}
        self.assertEqual(self.refusal(self.secret, body, without), "bad_timestamped_signature")
        signed_plain = dict(headers, **{"X-Webhook-Signature-Timestamped": headers["X-Webhook-Signature"]})
        self.assertEqual(self.refusal(self.secret, body, signed_plain), "bad_timestamped_signature")

    def test_an_old_delivery_is_refused_as_a_replay(self) -> None:
        headers, body, _ = self.completed
        ts = int(headers["X-Webhook-Timestamp"])
        verify_webhook_signature(self.secret, body, headers, now=ts + 300)
        self.assertEqual(self.refusal(self.secret, body, headers, now=ts + 301), "outside_tolerance")
        self.assertEqual(self.refusal(self.secret, body, headers, now=ts - 301), "outside_tolerance")
        self.assertEqual(self.refusal(self.secret, body, headers, tolerance_seconds=10, now=ts + 11), "outside_tolerance")

    def test_the_test_delivery_verifies_and_is_logged(self) -> None:
        queued = self.client.test_webhook(self.hook.id)
        headers, body, _ = wait_until(lambda: self.receiver.find(lambda e, h: h.get("X-Webhook-Id") == queued.delivery_id), "the webhook.test delivery")
        verify_webhook_signature(self.secret, body, headers)
        self.assertEqual(headers["X-Webhook-Event"], "webhook.test")
        logged = wait_until(lambda: next((d for d in self.client.list_webhook_deliveries(self.hook.id).items
                                          if d.id == queued.delivery_id and d.delivered), None), "the delivery logged as delivered")
        self.assertEqual((logged.status, logged.attempt_log[-1].status_code, logged.attempt_log[-1].succeeded), ("succeeded", 204, True))


if __name__ == "__main__":
    unittest.main()
