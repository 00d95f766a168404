import type { AgentConfig } from "./config";
import { openTerminalDb, type SqliteDb } from "./db/terminal-db";
import { OutboxStore } from "./outbox/outbox-store";
import { SyncEngine, type EngineOptions } from "./sync/sync-engine";
import type { CentralTransport } from "./transport/central-transport";
import { HttpCentralTransport } from "./transport/http-transport";

export interface Agent {
  db: SqliteDb;
  outbox: OutboxStore;
  engine: SyncEngine;
  close(): Promise<void>;
}

/**
 * Wires an agent from parsed config; tests may pass their own transport, and engine options
 * beyond the config (a short breaker cool-down, no state persistence for one-shot commands).
 */
export function createAgent(
  config: AgentConfig,
  transport?: CentralTransport,
  engineOptions: Partial<EngineOptions> = {},
): Agent {
  const db = openTerminalDb(config.databasePath);
  const outbox = new OutboxStore(db);
  // Rows a dead agent process left SYNCING go back to PENDING; their change ids make the
  // resend safe (central answers DUPLICATE for what it already applied).
  outbox.resetInFlight();
  const t =
    transport ??
    new HttpCentralTransport({
      baseUrl: config.CENTRAL_API_URL,
      key: config.CENTRAL_API_KEY,
      terminalId: config.TERMINAL_ID,
      timeoutMs: config.SYNC_TIMEOUT * 1000,
    });
  const engine = new SyncEngine(db, outbox, t, {
    batchSize: config.SYNC_BATCH_SIZE,
    intervalMs: config.SYNC_INTERVAL * 1000,
    retryAttempts: config.SYNC_RETRY_ATTEMPTS,
    ...engineOptions,
  });
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
