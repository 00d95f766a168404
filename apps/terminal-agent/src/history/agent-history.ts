import type { SqliteDb } from "../db/terminal-db";

/** What `history` lists: sync cycles (the engine writes them) and operator commands. */
export type HistoryKind = "CYCLE" | "DISCARD" | "RETRY_FAILED" | "PAUSE" | "RESUME" | "CLEANUP" | "RECOVERY";

export interface HistoryEntry {
  id: number;
  kind: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  pushed: number;
  pulled: number;
  conflicts: number;
  error: string | null;
  detail: string | null;
}

/** Records an operator command in sync_history, so `history` shows it beside the cycles. */
export function recordCommand(db: SqliteDb, kind: HistoryKind, detail: string): void {
  db.prepare(
    `INSERT INTO sync_history (kind, started_at, finished_at, detail)
     VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)`,
  ).run(kind, detail);
}

interface HistoryRow {
  id: number;
  kind: string;
  started_at: string;
  finished_at: string | null;
  pushed: number;
  pulled: number;
  conflicts: number;
  error: string | null;
  detail: string | null;
}

/** The newest `limit` entries, newest first. */
export function listHistory(db: SqliteDb, limit: number): HistoryEntry[] {
  const rows = db
    .prepare(
      `SELECT id, kind, started_at, finished_at, pushed, pulled, conflicts, error, detail
         FROM sync_history ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as HistoryRow[];
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? Date.parse(r.finished_at) - Date.parse(r.started_at) : null,
    pushed: r.pushed,
    pulled: r.pulled,
    conflicts: r.conflicts,
    error: r.error,
    detail: r.detail,
  }));
}

/** One line per entry: when, what, how long, what moved or what the command did. */
export function formatHistory(entries: HistoryEntry[]): string {
  if (entries.length === 0) return "no history yet";
  const head = `${"started".padEnd(25)}${"kind".padEnd(14)}${"ms".padStart(7)}${"pushed".padStart(8)}${"pulled".padStart(8)}${"conflicts".padStart(11)}  outcome`;
  const lines = entries.map((e) => {
    const outcome = e.error ? `error: ${e.error}` : (e.detail ?? "ok");
    return `${e.startedAt.padEnd(25)}${e.kind.padEnd(14)}${String(e.durationMs ?? "").padStart(7)}${String(e.pushed).padStart(8)}${String(e.pulled).padStart(8)}${String(e.conflicts).padStart(11)}  ${outcome}`;
  });
  return [head, ...lines].join("\n");
}
