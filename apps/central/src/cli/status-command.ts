import type { Command } from "commander";
import {
  ConfigError,
  parseOrThrow,
  resolvePolicy,
  syncStatusQuerySchema,
  type SyncStatusResponse,
} from "@tillsync/shared";
import { loadStatusConfig } from "../config";
import { syncStatus } from "../hub/sync-status";
import { centralStore } from "../store/central-store";
import { openCentralDb } from "../store/database";
import { centralMigrationStatus } from "../store/migrate";
import { fail } from "./cli-errors";
import { envHelp } from "./env-help";

const COLUMNS = ["pending", "failed", "synced", "conflicts"] as const;

/** The figures of GET /api/sync/status as a table people read. */
export function statusTable(s: SyncStatusResponse): string {
  const rows: Array<[string, ...number[]]> = Object.entries(s.tables).map(([table, c]) => [
    table,
    ...COLUMNS.map((k) => c[k]),
  ]);
  rows.push(["TOTAL", ...COLUMNS.map((k) => s.totals[k])]);
  const width = Math.max(5, ...rows.map((r) => r[0].length));
  const head = ["table".padEnd(width), ...COLUMNS.map((c) => c.padStart(9))].join(" ");
  const body = rows.map(([t, ...n]) => [t.padEnd(width), ...n.map((v) => String(v).padStart(9))].join(" "));
  const sum = s.summary;
  return [
    `${s.terminalId ? `terminal ${s.terminalId}` : "all terminals"}: ${s.state ?? "running"}`,
    head,
    ...body.slice(0, -1),
    "-".repeat(head.length),
    body[body.length - 1],
    `${sum.totalTables} tables: ${sum.tablesWithPending} with pending, ${sum.tablesWithFailed} with failed, ` +
      `${sum.tablesWithConflicts} with conflicts`,
  ].join("\n");
}

async function status(opts: { json?: boolean; terminal?: string }): Promise<void> {
  const config = loadStatusConfig();
  const q = parseOrThrow(syncStatusQuerySchema, { terminalId: opts.terminal }, "--terminal");
  const db = openCentralDb(config.DATABASE_URL, 2);
  try {
    const pending = (await centralMigrationStatus(db.pool)).pending;
    if (pending.length)
      throw new ConfigError(`${pending.length} migration(s) pending; run \`tillsync-central migrate\` first`);
    const s = await syncStatus(centralStore(db), resolvePolicy(config.SYNC_POLICY_OVERRIDES), q.terminalId);
    console.log(opts.json ? JSON.stringify(s, null, 2) : statusTable(s));
  } finally {
    await db.close();
  }
}

/** `status [--terminal ID] [--json]`: read from PostgreSQL directly, so it works while central is down. */
export function addStatusCommand(program: Command): void {
  program
    .command("status")
    .description("outbox figures per table from the terminals' last heartbeats (GET /api/sync/status)")
    .option("--terminal <id>", "one terminal instead of every terminal")
    .option("--json", "print the /api/sync/status document")
    .addHelpText("after", envHelp(["DATABASE_URL", "SYNC_POLICY_OVERRIDES"]))
    .action((opts: { json?: boolean; terminal?: string }) => status(opts).catch(fail));
}
