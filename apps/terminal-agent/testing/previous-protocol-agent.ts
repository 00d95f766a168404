import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { migrationsDir, policyForProtocol, DEFAULT_SYNC_POLICY, PROTOCOL_VERSION } from "@tillsync/shared";
import { loadAgentConfig, type AgentConfig } from "../src";
import { openTerminalDb, type SqliteDb } from "../src/db/terminal-db";
import { OutboxStore } from "../src/outbox/outbox-store";
import { engineOptionsFromConfig } from "../src/daemon/from-config";
import { SyncEngine } from "../src/sync/sync-engine";
import { HttpCentralTransport } from "../src/transport/http-transport";

/** The first terminal migration of protocol 2: an agent of protocol 1 has every migration before it. */
export const FIRST_PROTOCOL_2_MIGRATION = "20261201183422_product_barcode";

/** An agent of the previous protocol on its own SQLite file, as a till not yet upgraded runs it. */
export interface PreviousProtocolAgent {
  protocol: number;
  schema: string;
  file: string;
  db: SqliteDb;
  outbox: OutboxStore;
  engine: SyncEngine;
  config: AgentConfig;
  /** A second connection: the till software. */
  till(): Database.Database;
  /** Closes the old agent and leaves its file, for an upgraded agent to open (`databasePath`). */
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A fixture of the previous protocol (PROTOCOL_VERSION - 1): its terminal database has only
 * the migrations before that protocol's successor (no products.barcode column, capture
 * triggers without it), its transport names that protocol and checks central's answers
 * against that protocol's policy. Everything else is this build's code, which is what the
 * old release's agent did for these tables.
 */
export function createPreviousProtocolAgent(
  centralUrl: string,
  creds: { terminalId: string; key: string },
): PreviousProtocolAgent {
  const protocol = PROTOCOL_VERSION - 1;
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-old-agent-"));
  const oldMigrations = path.join(dir, "migrations");
  const names = readdirSync(migrationsDir("terminal")).filter(
    (n) => /^\d{14}_/.test(n) && n < FIRST_PROTOCOL_2_MIGRATION,
  );
  for (const n of names)
    cpSync(path.join(migrationsDir("terminal"), n), path.join(oldMigrations, n), { recursive: true });
  const file = path.join(dir, "terminal.db");
  const config = loadAgentConfig({
    CENTRAL_API_URL: centralUrl,
    CENTRAL_API_KEY: creds.key,
    TERMINAL_ID: creds.terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
  });
  const db = openTerminalDb(file, oldMigrations);
  // This build's outbox code settles through `confirmed` (migration outbox_confirmed_flag), an
  // outbox column of no protocol: the old release's own code had no use for it. Added by hand,
  // not as that migration: on upgrade, outbox_sequence_ids rebuilds the outbox without it and
  // outbox_confirmed_flag then adds it as on any till.
  db.exec(`ALTER TABLE outbox ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0`);
  const policy = policyForProtocol(DEFAULT_SYNC_POLICY, protocol);
  const outbox = new OutboxStore(db, policy);
  const schema = names[names.length - 1]!;
  const transport = new HttpCentralTransport({
    baseUrl: centralUrl,
    key: creds.key,
    terminalId: creds.terminalId,
    timeoutMs: config.SYNC_TIMEOUT * 1000,
    policy,
    protocol: { version: protocol, schema },
  });
  const engine = new SyncEngine(db, outbox, transport, engineOptionsFromConfig(config));
  const tills: Database.Database[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const c of tills) c.close();
    await engine.stop();
    db.close();
  };
  return {
    protocol,
    schema,
    file,
    db,
    outbox,
    engine,
    config,
    till() {
      const c = new Database(file);
      c.pragma("busy_timeout = 5000");
      tills.push(c);
      return c;
    },
    close,
    async destroy() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
