import type { CycleReport, SyncEngine } from "../sync/sync-engine";

/** What the daemon tells its log (stdout under systemd / Docker) about the engine. */
export function logEngineEvents(engine: SyncEngine, log: (line: string) => void): void {
  engine.on("cycle", (r) => {
    if (r.held) log(`sync held by central: ${r.error}`);
    else if (r.error) log(`sync failed: ${r.error}`);
    else if (r.pushed || r.pulled || r.conflicts || r.failed)
      log(`sync: pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, failed ${r.failed}`);
  });
  engine.on("state", (s) => {
    if (s.kind === "circuit-open")
      log(`circuit open after ${s.failures} consecutive failures; next probe at ${new Date(s.retryAt).toISOString()}`);
  });
}

/** The line for the daemon's first cycle, which runs before anything else is logged. */
export function startupSyncLine(first: CycleReport): string {
  if (first.skipped === "paused") return "sync is paused on this terminal (tillsync-agent resume)";
  if (first.error) return `startup sync failed (${first.error}); retrying in the background`;
  return `startup sync: pushed ${first.pushed}, pulled ${first.pulled}`;
}

export function cleanupLine(r: { outbox: number; history: number }): string {
  return `daily cleanup: deleted ${r.outbox} synced outbox row(s), ${r.history} history row(s)`;
}
