import { createHmac, randomUUID } from "node:crypto";
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { ALERT_SIGNATURE_HEADER, type Alert } from "@tillsync/shared";
import type { Logger } from "../observability/logger";
import type { AlertInput, AlertSink } from "./alert-sink";

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with ALERT_WEBHOOK_SECRET. */
export function signAlertBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface AlertWebhookOptions {
  connection: ConnectionOptions;
  prefix: string;
  redis: Redis;
  log: Logger;
  /** ALERT_WEBHOOK_URL, or null: alerts are only logged. */
  url: string | null;
  secret: string | null;
  /** Deliveries per alert before it is given up (kept in the failed list), first retry delay (doubled each time). */
  attempts: number;
  backoffMs: number;
  /** How long one POST may take. */
  timeoutMs: number;
}

class WebhookRefusedError extends Error {
  constructor(status: number) {
    super(`alert webhook answered ${status}; retrying with backoff`);
    this.name = "WebhookRefusedError";
  }
}

/**
 * Alerts: every one is logged (pino, `alert: <type>`), and with ALERT_WEBHOOK_URL set it is
 * also POSTed there, signed, through a BullMQ queue shared by the cluster: retried with
 * exponential backoff, delivered once by whichever instance takes the job, and never awaited by
 * the code that raised it.
 */
export class AlertWebhook implements AlertSink {
  readonly queue?: Queue<Alert>;
  private readonly worker?: Worker<Alert>;

  constructor(private readonly opts: AlertWebhookOptions) {
    if (!opts.url) return;
    this.queue = new Queue<Alert>("alerts", { connection: opts.connection, prefix: opts.prefix });
    this.queue.on("error", (err) => opts.log.warn({ err }, "alert queue error"));
    this.worker = new Worker<Alert>("alerts", (job) => this.deliver(job), {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: 4,
    });
    this.worker.on("error", (err) => opts.log.warn({ err }, "alert worker error"));
    this.worker.on("failed", (job, err) =>
      opts.log.warn({ err, alert: job?.data.type, attempts: job?.attemptsMade }, "alert delivery failed"),
    );
  }

  raise(input: AlertInput): void {
    const alert: Alert = {
      id: randomUUID(),
      at: new Date().toISOString(),
      ...input,
      terminalId: (input.terminalId ?? null) as Alert["terminalId"],
      details: input.details ?? {},
    };
    const level = alert.severity === "info" ? "info" : alert.severity === "warning" ? "warn" : "error";
    this.opts.log[level]({ alert: alert.type, terminalId: alert.terminalId, ...alert.details }, alert.message);
    void this.queue
      ?.add("alert", alert, {
        attempts: this.opts.attempts,
        backoff: { type: "exponential", delay: this.opts.backoffMs },
        removeOnComplete: true,
        removeOnFail: 1000,
      })
      .catch((err: unknown) => this.opts.log.warn({ err, alert: alert.type }, "alert not queued (Redis?)"));
  }

  once(key: string, everyMs: number, alert: AlertInput): void {
    void this.opts.redis
      .set(`hub:alerted:${key}`, "1", "PX", everyMs, "NX")
      .then((ok) => ok === "OK" && this.raise(alert))
      .catch((err: unknown) => this.opts.log.warn({ err, key }, "alert throttle unavailable"));
  }

  private async deliver(job: Job<Alert>): Promise<number> {
    const body = JSON.stringify(job.data);
    const res = await fetch(this.opts.url!, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [ALERT_SIGNATURE_HEADER]: signAlertBody(this.opts.secret!, body),
        "x-tillsync-alert-id": job.data.id,
        "user-agent": "tillsync-central",
      },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new WebhookRefusedError(res.status);
    return res.status;
  }

  async close(): Promise<void> {
    await this.worker?.close(true);
    await this.queue?.close();
  }
}
