import type { RequestHandler } from "express";
import type { PushResponse } from "@tillsync/shared";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics of one central instance. A registry per instance (not prom-client's
 * global one) so several instances in one process, as in tests, do not collide.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly connectedTerminals = new Gauge({
    name: "tillsync_connected_terminals",
    help: "Terminal sockets connected to this instance",
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: "tillsync_pushes_total",
    help: "Push requests answered",
    labelNames: ["status"],
    registers: [this.registry],
  });
  readonly changesApplied = new Counter({
    name: "tillsync_changes_total",
    help: "Pushed changes by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly conflicts = new Counter({
    name: "tillsync_conflicts_total",
    help: "Pushed changes that met a conflict",
    registers: [this.registry],
  });
  readonly pushRefusals = new Counter({
    name: "tillsync_push_refusals_total",
    help: "Pushed changes refused for touching rows another terminal or store owns (G8)",
    labelNames: ["reason", "table"],
    registers: [this.registry],
  });
  readonly heartbeatWriteFailures = new Counter({
    name: "tillsync_heartbeat_write_failures_total",
    help: "Heartbeats answered but not stored (their statement failed; the next heartbeat writes the state again)",
    registers: [this.registry],
  });
  readonly syncStopped = new Counter({
    name: "tillsync_sync_stopped_total",
    help: "Pushes and pulls answered 423 SYNC_STOPPED (emergency stop or terminal pause)",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly pushLatency = new Histogram({
    name: "tillsync_push_duration_seconds",
    help: "Time to answer a push",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly triggersSent = new Counter({
    name: "tillsync_triggers_sent_total",
    help: "sync:trigger events emitted",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly triggersAcked = new Counter({
    name: "tillsync_triggers_acked_total",
    help: "sync:ack events received",
    registers: [this.registry],
  });
  readonly jobRuns = new Counter({
    name: "tillsync_hub_jobs_total",
    help: "Hub jobs (sweep, schedules, cleanup...) run by this instance",
    labelNames: ["job"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "tillsync_queue_jobs",
    help: "BullMQ jobs by queue and state",
    labelNames: ["queue", "state"],
    registers: [this.registry],
  });

  /** How many times this instance ran a hub job (tests sum it over instances). */
  async jobRunCount(job: string): Promise<number> {
    return (await this.jobRuns.get()).values.find((v) => v.labels.job === job)?.value ?? 0;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts pushes, their results and latency by watching the push route's JSON answer. */
  pushObserver(): RequestHandler {
    return (_req, res, next) => {
      const end = this.pushLatency.startTimer();
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const results = (body as Partial<PushResponse> | undefined)?.results;
        if (Array.isArray(results)) {
          for (const r of results) {
            this.changesApplied.inc({ result: r.status });
            if (r.status === "CONFLICT") this.conflicts.inc();
          }
        }
        return json(body);
      };
      res.on("finish", () => {
        end();
        this.pushes.inc({ status: String(res.statusCode) });
      });
      next();
    };
  }
}
