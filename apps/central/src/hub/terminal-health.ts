import type { HubHealthColour } from "@tillsync/shared";
import { ALERT_FAILED, outboxTotals } from "./heartbeat-sweep";

/** A terminal that has not synced for this long is "delayed" (yellow). */
export const DELAYED_AFTER_MS = 15 * 60_000;

export interface TerminalHealthInput {
  status: "ONLINE" | "OFFLINE" | "DISABLED";
  lastSyncAt: Date | null;
  lastHeartbeat: unknown;
  emergencyStop: boolean;
}

/**
 * The health colour of SPEC §4: gray disabled; red failing (circuit open, more than 5 failed
 * changes) or under emergency stop; yellow paused, backing off, offline or delayed; green
 * when it synced recently (or, online, reports itself idle or syncing).
 */
export function terminalHealth(t: TerminalHealthInput, now = Date.now()): HubHealthColour {
  if (t.status === "DISABLED") return "gray";
  const agent = (t.lastHeartbeat as { status?: string } | null)?.status;
  if (t.emergencyStop || agent === "circuit-open" || outboxTotals(t.lastHeartbeat).failed > ALERT_FAILED) return "red";
  if (agent === "paused" || agent === "backing-off" || t.status === "OFFLINE") return "yellow";
  // A live agent that reports itself idle or syncing has synced without trouble; otherwise
  // the last push central received must be recent.
  if (t.status === "ONLINE" && (agent === "idle" || agent === "pushing" || agent === "pulling")) return "green";
  if (!t.lastSyncAt || now - t.lastSyncAt.getTime() > DELAYED_AFTER_MS) return "yellow";
  return "green";
}
