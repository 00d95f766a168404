import type { AgentStatusReport } from "./agent-status";

const HEALTH = ["green", "yellow", "red", "gray"] as const;
const CIRCUIT = ["closed", "open", "half-open"] as const;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function metric(name: string, help: string, type: "gauge" | "counter", samples: [string, number][]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([l, v]) => `${name}${l} ${v}`)];
}

/**
 * GET /metrics on the local status endpoint: the `status` document in Prometheus text format
 * (0.0.4), so a shop's monitoring can alert on a till's backlog without parsing JSON.
 */
export function formatMetrics(s: AgentStatusReport, cyclesTotal: number): string {
  const outbox: [string, number][] = [];
  for (const [table, c] of Object.entries(s.tables))
    for (const [status, n] of Object.entries(c)) outbox.push([`{table="${escapeLabel(table)}",status="${status}"}`, n]);
  const lastSync = s.lastSyncAt ? Date.parse(s.lastSyncAt) / 1000 : 0;
  return [
    ...metric("tillsync_agent_outbox_changes", "Outbox changes per table and status.", "gauge", outbox),
    ...metric(
      "tillsync_agent_health",
      "1 for the current health colour.",
      "gauge",
      HEALTH.map((h) => [`{colour="${h}"}`, s.health === h ? 1 : 0]),
    ),
    ...metric(
      "tillsync_agent_circuit",
      "1 for the circuit breaker's current state.",
      "gauge",
      CIRCUIT.map((c) => [`{state="${c}"}`, s.circuit === c ? 1 : 0]),
    ),
    ...metric("tillsync_agent_consecutive_failures", "Failed cycles in a row.", "gauge", [["", s.consecutiveFailures]]),
    ...metric("tillsync_agent_last_sync_timestamp_seconds", "Last clean cycle (0: never).", "gauge", [["", lastSync]]),
    ...metric("tillsync_agent_paused", "1 while sync is paused on this till.", "gauge", [["", s.paused ? 1 : 0]]),
    ...metric("tillsync_agent_storage_full", "1 while the till's disk refuses the agent's writes.", "gauge", [
      ["", s.storage.condition === "full" ? 1 : 0],
    ]),
    ...metric("tillsync_agent_cycles_total", "Sync cycles this daemon ran.", "counter", [["", cyclesTotal]]),
    "",
  ].join("\n");
}
