import type { AgentConfig } from "../config";
import { openTerminalDb, type SqliteDb } from "../db/terminal-db";
import { OutboxStore } from "../outbox/outbox-store";
import { catchUpAfterUpgrade } from "../sync/protocol-catch-up";
import { SyncEngine } from "../sync/sync-engine";
import type { CentralTransport } from "../transport/central-transport";
import { engineOptionsFromConfig, transportFromConfig, withEngineOverrides, type EngineOverrides } from "./from-config";

export interface Agent {
  db: SqliteDb;
  outbox: OutboxStore;
  engine: SyncEngine;
  close(): Promise<void>;
}

/**
 * Wires an agent (database, outbox, engine) from parsed config. Tests and benches may pass
 * their own transport, and engine overrides beyond the config (no state persistence for
 * one-shot commands, a backoff function a test controls).
 */
export function createAgent(
  config: AgentConfig,
  transport: CentralTransport = transportFromConfig(config),
  overrides: EngineOverrides = {},
): Agent {
  const db = openTerminalDb(config.databasePath);
  // Upgraded to a protocol with new columns: the next pull re-reads every row whole.
  catchUpAfterUpgrade(db);
  const outbox = new OutboxStore(db);
  // Rows a dead agent process left SYNCING go back to PENDING; their change ids make the
  // resend safe (central answers DUPLICATE for what it already applied).
  outbox.resetInFlight();
  const engine = new SyncEngine(db, outbox, transport, withEngineOverrides(engineOptionsFromConfig(config), overrides));
  return {
    db,
    outbox,
    engine,
    async close() {
      await engine.stop();
      db.close();
    },
  };
}
