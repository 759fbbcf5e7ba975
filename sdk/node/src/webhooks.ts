import { createHmac, timingSafeEqual } from "node:crypto";

/** The headers a delivery carries (see the server's JobQueue.Core/Webhooks/WebhookSignature.cs). */
export const WebhookHeaders = {
  /** `sha256=<hex HMAC-SHA256(secret, raw body)>`: the original's signature, which covers no time. */
  signature: "x-webhook-signature",
  /** Unix seconds when this attempt was signed. */
  timestamp: "x-webhook-timestamp",
  /** `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>`: binds the body to the time, so old ones can be refused. */
  timestampedSignature: "x-webhook-signature-timestamped",
  /** The delivery's id, the same on every retry: drop one already handled (delivery is at least once). */
  id: "x-webhook-id",
  event: "x-webhook-event",
} as const;

/** A request's headers: Node's `req.headers` (lower-case names), a Fetch `Headers`, or any plain object. */
export type WebhookRequestHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way; default 300 (5 minutes, the server's WebhookVerifier). */
  toleranceSeconds?: number;
  /** With a bare signature header: the `X-Webhook-Timestamp` value it was signed with. */
  timestamp?: string | number;
  /** Now, in Unix seconds (for tests); default the clock. */
  nowSeconds?: number;
}

const defaultToleranceSeconds = 300;

/**
 * Whether a webhook delivery is genuine and fresh. `body` must be the raw bytes as received (before any JSON
 * parsing: re-serialising changes them). With the request's headers, both signatures are checked, as the server's
 * WebhookVerifier does: `X-Webhook-Signature` over the body and `X-Webhook-Signature-Timestamped` over
 * `"{X-Webhook-Timestamp}.{body}"`, each compared in constant time, and the timestamp must lie within
 * `toleranceSeconds` of now, so a captured delivery cannot be replayed later. With a single header value instead,
 * that value is the timestamped signature and `options.timestamp` its timestamp.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string | Uint8Array,
  headers: WebhookRequestHeaders | string,
  options: VerifyOptions = {},
): boolean {
  let timestamp: string | undefined;
  let timestamped: string | undefined;
  if (typeof headers === "string") {
    if (options.timestamp === undefined) {
      throw new TypeError("verifyWebhookSignature: with a bare signature, give options.timestamp (the X-Webhook-Timestamp header)");
    }
    timestamped = headers;
    timestamp = String(options.timestamp);
  } else {
    if (!matches(secret, [body], header(headers, WebhookHeaders.signature))) return false;
    timestamp = header(headers, WebhookHeaders.timestamp);
    timestamped = header(headers, WebhookHeaders.timestampedSignature);
  }

  if (timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) return false;
  if (!matches(secret, [`${timestamp}.`, body], timestamped)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return Math.abs(now - Number(timestamp)) <= (options.toleranceSeconds ?? defaultToleranceSeconds);
}

/** The signature the server would send: `sha256=` and the lowercase hex HMAC-SHA256 of the parts. */
export function signWebhookBody(secret: string, body: string | Uint8Array, timestamp?: number): string {
  return `sha256=${hex(hmac(secret, timestamp === undefined ? [body] : [`${timestamp}.`, body]))}`;
}

function matches(secret: string, content: (string | Uint8Array)[], given: string | undefined): boolean {
  if (given === undefined || !given.startsWith("sha256=")) return false;
  const digits = given.slice("sha256=".length);
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) return false;
  const expected = hmac(secret, content);
  const actual = new Uint8Array(32);
  for (let i = 0; i < 32; i++) actual[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  // Constant time: an early exit at the first wrong byte would tell a forger how much of a guess is right.
  return timingSafeEqual(expected, actual);
}

function hmac(secret: string, content: (string | Uint8Array)[]): Uint8Array {
  const mac = createHmac("sha256", secret);
  for (const part of content) mac.update(part);
  return mac.digest();
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function header(headers: WebhookRequestHeaders, name: string): string | undefined {
  if (typeof headers.get === "function") return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}
