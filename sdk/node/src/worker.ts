import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import type { JobQueueClient } from "./client.js";
import { JobQueueError, NonRetryableError } from "./errors.js";
import type { Json, LeasedJob } from "./models.js";
import { sleep } from "./transport.js";

export interface WorkerOptions {
  /** How the worker shows in `/api/v1/workers`; default `<host>-<pid>-<random>`. 1–128 of [A-Za-z0-9._:@-]. */
  workerId?: string;
  /** Jobs run at once; default 1. The worker leases only as many as it has free slots. */
  concurrency?: number;
  /** Queues to take jobs from; default all (critical, default, bulk). */
  queues?: string[];
  /** Lease length, 5–3600 s; default 30. The worker heartbeats each job every third of it. */
  leaseSeconds?: number;
  /** Long-poll of each lease request, 0–20 s; default 20. */
  waitSeconds?: number;
  /** On stop, how long running handlers may take to finish before they are aborted; default 30 s. */
  shutdownGraceMs?: number;
}

/** Why a handler's signal fired. */
export type AbortReason = "cancelled" | "lease-lost" | "shutdown";

export interface JobContext {
  /** Fires when the job is cancelled, its lease is lost, or the worker's stop grace period ran out. */
  readonly signal: AbortSignal;
  /** This attempt's number (1 for the first run). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly workerId: string;
  /** Reports progress now (and extends the lease); the worker heartbeats on its own besides. */
  heartbeat(progress?: Json): Promise<void>;
}

/** Runs one job; what it returns (JSON) is the job's result. Throw to fail it; throw NonRetryableError to fail it for good. */
export type JobHandler = (job: LeasedJob, ctx: JobContext) => unknown | Promise<unknown>;

/**
 * Events: `job.started` (job), `job.completed` (job, result), `job.failed` (job, error), `job.aborted`
 * (job, reason: cancelled | lease-lost | shutdown), `worker.error` (error: a lease or report request that failed;
 * the worker goes on, leasing again after a pause).
 */
export class Worker extends EventEmitter {
  readonly workerId: string;
  private readonly client: JobQueueClient;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly concurrency: number;
  private readonly queues: string[] | undefined;
  private readonly leaseSeconds: number;
  private readonly waitSeconds: number;
  private readonly shutdownGraceMs: number;
  private readonly running = new Map<string, RunningJob>();
  private stopping: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;

  constructor(client: JobQueueClient, options: WorkerOptions = {}) {
    super();
    this.client = client;
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 1;
    this.queues = options.queues;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.waitSeconds = options.waitSeconds ?? 20;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 30_000;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError("Worker: concurrency must be a whole number ≥ 1");
  }

  /** Serves jobs of `type` with `handler`. Register every type before `run()`. */
  register(type: string, handler: JobHandler): this {
    if (this.loop !== undefined) throw new Error("Worker: register handlers before run()");
    this.handlers.set(type, handler);
    return this;
  }

  /** Leases and runs jobs until `stop()`; resolves when the worker has stopped. */
  run(): Promise<void> {
    if (this.handlers.size === 0) return Promise.reject(new Error("Worker: register a handler before run()"));
    this.loop ??= this.serve(new AbortController());
    return this.loop;
  }

  /**
   * Stops gracefully: no more leases, running handlers get `shutdownGraceMs` to finish, then their signals fire and
   * their jobs are reported failed (retryable), so they run again elsewhere. Resolves when the worker has stopped.
   */
  async stop(): Promise<void> {
    if (this.loop === undefined) return;
    this.stopping?.abort(new Error("worker stopping"));
    await this.loop;
  }

  private async serve(stopping: AbortController): Promise<void> {
    this.stopping = stopping;
    const types = [...this.handlers.keys()];
    let pause = 0;
    while (!stopping.signal.aborted) {
      const free = this.concurrency - this.running.size;
      if (free === 0) {
        await this.nextFreeSlot(stopping.signal);
        continue;
      }

      let jobs: LeasedJob[];
      try {
        jobs = await this.client.leaseJobs(
          { worker_id: this.workerId, types, queues: this.queues, max: free, lease_seconds: this.leaseSeconds, wait_seconds: this.waitSeconds },
          { signal: stopping.signal },
        );
        pause = 0;
      } catch (error) {
        if (stopping.signal.aborted) break;
        this.emit("worker.error", error);
        // A failing server is not asked again at once: 1 s, doubling to 30 s.
        pause = Math.min(30_000, pause === 0 ? 1_000 : pause * 2);
        await sleep(pause, stopping.signal).catch(() => undefined);
        continue;
      }

      for (const job of jobs) this.start(job);
    }

    await this.drain();
    try {
      await this.client.deleteWorker(this.workerId);
    } catch (error) {
      this.emit("worker.error", error);
    }
  }

  private nextFreeSlot(stopping: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        stopping.removeEventListener("abort", done);
        this.slotFreed = undefined;
        resolve();
      };
      this.slotFreed = done;
      stopping.addEventListener("abort", done, { once: true });
    });
  }

  private start(job: LeasedJob): void {
    const run = new RunningJob(job, this.handlers.get(job.type), {
      client: this.client,
      workerId: this.workerId,
      leaseSeconds: this.leaseSeconds,
      emit: (event, ...args) => this.emit(event, ...args),
    });
    this.running.set(job.id, run);
    void run.finished.then(() => {
      this.running.delete(job.id);
      this.slotFreed?.();
    });
  }

  /** Waits for running jobs up to the grace period, then aborts the rest (they report themselves failed). */
  private async drain(): Promise<void> {
    if (this.running.size === 0) return;
    const all = Promise.all([...this.running.values()].map((r) => r.finished));
    const graceOver = new AbortController();
    const grace = sleep(this.shutdownGraceMs, graceOver.signal).then(
      () => "timeout" as const,
      () => "finished" as const,
    );
    const first = await Promise.race([all, grace]);
    graceOver.abort(); // no timer left behind to keep the process alive
    if (first === "timeout") {
      for (const run of this.running.values()) run.abort("shutdown");
    }
    await all;
  }
}

/** What a running job needs of its worker. */
interface WorkerEnvironment {
  client: JobQueueClient;
  workerId: string;
  leaseSeconds: number;
  emit(event: string, ...args: unknown[]): void;
}

/** One leased job: runs its handler, heartbeats its lease, and reports the outcome exactly once. */
class RunningJob {
  readonly finished: Promise<void>;
  private readonly controller = new AbortController();
  private abortReason: AbortReason | undefined;
  /** The outcome was reported (or is being): nothing more is sent for this job. */
  private done = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private settle!: () => void;

  constructor(
    private readonly job: LeasedJob,
    private readonly handler: JobHandler | undefined,
    private readonly worker: WorkerEnvironment,
  ) {
    this.finished = new Promise((resolve) => (this.settle = resolve));
    void this.execute();
  }

  /** Fires the handler's signal and reports the job at once: a handler that ignores its signal cannot hold the slot. */
  abort(reason: AbortReason): void {
    if (this.abortReason !== undefined || this.done) return;
    this.abortReason = reason;
    this.controller.abort(new Error(abortMessages[reason]));
    this.worker.emit("job.aborted", this.job, reason);
    void this.report(async () => {
      // After a lost lease another attempt owns the job: there is nothing to report.
      if (reason === "lease-lost") return;
      await this.worker.client.failJob(this.job.id, {
        lease_token: this.job.lease_token,
        error: abortMessages[reason],
        // A cancelled job ends cancelled whatever this says; a shutdown hands the job back to run again.
        retryable: reason === "shutdown",
      });
    });
  }

  private async execute(): Promise<void> {
    const handler = this.handler;
    const intervalMs = (this.worker.leaseSeconds * 1000) / 3;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(undefined), intervalMs);
    this.worker.emit("job.started", this.job);
    const ctx: JobContext = {
      signal: this.controller.signal,
      attempt: this.job.attempts,
      maxAttempts: this.job.max_attempts,
      workerId: this.worker.workerId,
      heartbeat: (progress) => this.heartbeat(progress),
    };

    let outcome: { result: unknown } | { error: unknown };
    try {
      if (handler === undefined) throw new NonRetryableError(`no handler for job type '${this.job.type}'`);
      outcome = { result: await handler(this.job, ctx) };
    } catch (error) {
      outcome = { error };
    }
    if (this.abortReason !== undefined) return; // reported when it was aborted

    if ("result" in outcome) {
      const result = outcome.result === undefined ? null : (outcome.result as Json);
      await this.report(async () => {
        await this.worker.client.completeJob(this.job.id, { lease_token: this.job.lease_token, result });
        this.worker.emit("job.completed", this.job, result);
      });
    } else {
      const error = outcome.error;
      await this.report(async () => {
        await this.worker.client.failJob(this.job.id, {
          lease_token: this.job.lease_token,
          error: messageOf(error),
          retryable: !(error instanceof NonRetryableError),
        });
        this.worker.emit("job.failed", this.job, error);
      });
    }
  }

  private async heartbeat(progress: Json | undefined): Promise<void> {
    if (this.done) return;
    try {
      const beat = await this.worker.client.heartbeatJob(this.job.id, {
        lease_token: this.job.lease_token,
        lease_seconds: this.worker.leaseSeconds,
        ...(progress === undefined ? {} : { progress }),
      });
      if (beat.cancel_requested) this.abort("cancelled");
    } catch (error) {
      // 409: the lease expired or another attempt holds the job; 404: the job is gone. Either way it is not ours.
      if (error instanceof JobQueueError && (error.status === 409 || error.status === 404)) this.abort("lease-lost");
      else this.worker.emit("worker.error", error);
    }
  }

  /** Sends the one outcome report, then frees the slot. A 409 means the lease was lost before the report. */
  private async report(send: () => Promise<void>): Promise<void> {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeatTimer);
    try {
      await send();
    } catch (error) {
      if (error instanceof JobQueueError && error.status === 409) this.worker.emit("job.aborted", this.job, "lease-lost");
      else this.worker.emit("worker.error", error);
    } finally {
      this.settle();
    }
  }
}

const abortMessages: Record<AbortReason, string> = {
  cancelled: "cancelled: cancellation was requested",
  "lease-lost": "lease lost: the lease expired or another attempt holds the job",
  shutdown: "the worker stopped before the job finished",
};

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 0 ? message : "handler failed";
}
