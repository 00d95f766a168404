import type { Request, Response } from "express";
import { fastHeartbeatRequest, ForbiddenError, heartbeatRequestSchema, parseOrThrow } from "@tillsync/shared";
import type { AlertSink } from "../alerts/alert-sink";
import type { Logger } from "../observability/logger";
import type { HubMetrics } from "../observability/metrics";
import type { HeartbeatTransition, TerminalQueries } from "../store/terminals";

export interface HeartbeatRouteDeps {
  store: { terminals: Pick<TerminalQueries, "recordHeartbeat"> };
  logger?: Logger;
  metrics?: HubMetrics;
  /** Terminal back online, circuit open. */
  alerts?: AlertSink;
}

/** Alerts a heartbeat gives rise to: the terminal is back from OFFLINE, or its circuit just opened. */
function heartbeatAlerts(
  alerts: AlertSink | undefined,
  id: string,
  hb: { status: string; circuit?: string },
  t: HeartbeatTransition,
): void {
  // The heartbeat's circuit field; agents older than it report the open circuit as their status.
  const open = hb.circuit ? hb.circuit === "open" : hb.status === "circuit-open";
  if (t.cameBack)
    alerts?.raise({
      type: "TERMINAL_ONLINE",
      severity: "info",
      terminalId: id,
      message: `terminal ${t.name} is back: heartbeat received after it went OFFLINE`,
      details: { name: t.name },
    });
  if (open && !t.circuitWasOpen)
    alerts?.raise({
      type: "CIRCUIT_OPEN",
      severity: "critical",
      terminalId: id,
      message: `terminal ${t.name}: its circuit breaker opened (sync failing repeatedly)`,
      details: { name: t.name },
    });
}

/**
 * POST /api/sync/heartbeat, after authentication: served whatever the agent's protocol
 * (protocolGate exempts it), so a held till still reports.
 *
 * Answered once the heartbeat is validated, authenticated and queued for its batch, not once
 * its row is written (write-behind). Waiting for PostgreSQL was what made the heartbeat's p99
 * several times GET /health's (bench/README.md, "A thousand tills per hub"). Why that is safe:
 * - A heartbeat is a status that the terminal's next one replaces within 30 s; the answer tells
 *   the agent nothing it acts on (`{ ok: true }`), so "queued" and "stored" differ only for the
 *   few milliseconds of the statement, or, if it fails, until the next heartbeat writes the state
 *   again. A failed write is logged and counted (tillsync_heartbeat_write_failures_total).
 * - The alerts still follow the write: TERMINAL_ONLINE and CIRCUIT_OPEN are raised from the
 *   transition the statement returns, so exactly once per transition, as before.
 * - Readers on this instance wait for the heartbeats it already answered (afterHeartbeats
 *   in hub/heartbeat-batcher.ts): GET /api/terminals, the console, sync status and the OFFLINE
 *   sweep see every heartbeat answered before they read. The sweep on another instance may mark
 *   a terminal OFFLINE a few ms before its heartbeat lands; the write then turns it ONLINE and
 *   raises TERMINAL_ONLINE, as for a heartbeat that arrived just after the sweep — the same race
 *   there always was between a heartbeat and the sweep, only a statement wider.
 * - One terminal's heartbeats are written in the order they were answered on an instance
 *   (group commit is FIFO and writes a terminal's latest), so an older one never overwrites it.
 */
export function heartbeat(deps: HeartbeatRouteDeps): (req: Request, res: Response) => void {
  return (req, res) => {
    // The fast path returns exactly what zod would; anything it does not take, zod judges (shared fast-heartbeat.ts).
    const body = fastHeartbeatRequest(req.body) ?? parseOrThrow(heartbeatRequestSchema, req.body, "heartbeat");
    const terminal = req.terminal!;
    // A terminal acts only as itself (G8): the body's terminalId must be the key's terminal.
    if (body.terminalId !== terminal.id)
      throw new ForbiddenError(`this key belongs to terminal ${terminal.id}, not ${body.terminalId}`);
    const { terminalId, status, outbox, lastError, failedChanges, storage, circuit, lastSyncAt } = body;
    const at = new Date().toISOString();
    // The answer first: queuing the heartbeat may start its statement at once, and building
    // that is not the agent's to wait for. Nothing can read between the two (same tick), so
    // afterHeartbeats still waits for this heartbeat.
    res.json({ ok: true });
    deps.store.terminals
      .recordHeartbeat(terminalId, { status, outbox, lastError, failedChanges, storage, circuit, lastSyncAt, at })
      .then(
        (t) => heartbeatAlerts(deps.alerts, terminalId, { status, circuit }, t),
        (err: unknown) => {
          deps.metrics?.heartbeatWriteFailures.inc();
          deps.logger?.error(
            { err, terminalId },
            "heartbeat not stored (answered already; the terminal's next heartbeat carries its state again)",
          );
        },
      );
  };
}
