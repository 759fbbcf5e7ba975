"""Checking that a webhook delivery came from JobQueue, and recently (JobQueue.Core/Webhooks/WebhookSignature.cs).

A delivery carries ``X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` (the original's header),
``X-Webhook-Timestamp`` (Unix seconds when the attempt was signed) and
``X-Webhook-Signature-Timestamped: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>``. The first alone
covers no time, so a captured delivery could be replayed for ever: both are checked, and the timestamp must be
within the tolerance of now.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Mapping, Optional, Union

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
TIMESTAMPED_SIGNATURE_HEADER = "X-Webhook-Signature-Timestamped"
ID_HEADER = "X-Webhook-Id"
EVENT_HEADER = "X-Webhook-Event"
DEFAULT_TOLERANCE_SECONDS = 300

_PREFIX = "sha256="
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[0-9]{1,19}")


class WebhookSignatureError(ValueError):
    """The delivery is not to be trusted; ``reason`` says why: ``"bad_signature"`` (missing or not matching the
    body), ``"bad_timestamped_signature"`` (timestamp missing or not covered by its signature) or
    ``"outside_tolerance"`` (correctly signed, but too old or too far ahead: a replay, or a clock far off)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    value = headers.get(name)
    if value is None:  # a plain dict with other letter case (http.server's and most frameworks' headers ignore case)
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _matches(secret: bytes, content: bytes, header: Optional[str]) -> bool:
    if header is None or not header.startswith(_PREFIX) or not _HEX.fullmatch(header[len(_PREFIX):]):
        return False
    expected = hmac.new(secret, content, hashlib.sha256).digest()
    # Constant time: an early exit would tell a forger how much of the signature is right.
    return hmac.compare_digest(expected, bytes.fromhex(header[len(_PREFIX):]))


def verify_webhook_signature(
    secret: str,
    body: Union[bytes, bytearray, memoryview],
    headers: Mapping[str, str],
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> None:
    """Raises ``WebhookSignatureError`` unless ``body`` (the raw bytes, before any JSON parsing) carries both valid
    signatures in ``headers`` (the delivery's headers) and a timestamp within ``tolerance_seconds`` of ``now``
    (Unix seconds; the clock by default). Drop a repeated ``X-Webhook-Id`` too: delivery is at least once."""
    raw = bytes(body)
    key = secret.encode("utf-8")
    if not _matches(key, raw, _header(headers, SIGNATURE_HEADER)):
        raise WebhookSignatureError("bad_signature", f"{SIGNATURE_HEADER} is missing or does not match the body")
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if timestamp is None or not _DIGITS.fullmatch(timestamp) or not _matches(
        key, timestamp.encode("ascii") + b"." + raw, _header(headers, TIMESTAMPED_SIGNATURE_HEADER)
    ):
        raise WebhookSignatureError(
            "bad_timestamped_signature", f"{TIMESTAMP_HEADER} is missing or not covered by {TIMESTAMPED_SIGNATURE_HEADER}"
        )
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > tolerance_seconds:
        raise WebhookSignatureError(
            "outside_tolerance", f"the delivery was signed {age:.0f} s from now, beyond the {tolerance_seconds:g} s tolerance"
        )
