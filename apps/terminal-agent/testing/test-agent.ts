import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createAgent, type Agent } from "../src/agent";
import type { AgentConfig } from "../src/config";
import type { EngineOptions } from "../src/sync/sync-engine";

export interface TestAgent extends Agent {
  dir: string;
  file: string;
  config: AgentConfig;
  /** A second, independent connection: what the till software would use. */
  till(): Database.Database;
  destroy(): Promise<void>;
}

/** An agent on a temp-dir SQLite file, talking to `centralUrl`. */
export function createTestAgent(
  centralUrl: string,
  creds: { terminalId: string; key: string },
  overrides: Partial<AgentConfig> = {},
  /** Engine options beyond the config, e.g. a short breaker cool-down. */
  engineOptions: Partial<EngineOptions> = {},
): TestAgent {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-agent-"));
  // Pass databasePath to reopen an existing till's file (a restart after a crash).
  const file = overrides.databasePath ?? path.join(dir, "terminal.db");
  const config: AgentConfig = {
    CENTRAL_API_URL: centralUrl,
    CENTRAL_API_KEY: creds.key,
    TERMINAL_ID: creds.terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
    SYNC_INTERVAL: 300,
    SYNC_BATCH_SIZE: 100,
    SYNC_TIMEOUT: 30,
    SYNC_RETRY_ATTEMPTS: 3,
    databasePath: file,
    ...overrides,
  };
  const agent = createAgent(config, undefined, engineOptions);
  const tills: Database.Database[] = [];
  return {
    ...agent,
    dir,
    file,
    config,
    till() {
      const c = new Database(file);
      c.pragma("busy_timeout = 5000");
      tills.push(c);
      return c;
    },
    async destroy() {
      for (const c of tills) c.close();
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
