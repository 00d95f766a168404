import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createAgent, loadAgentConfig, type Agent, type AgentConfig, type EngineOverrides } from "../src";

export interface TestAgent extends Agent {
  dir: string;
  file: string;
  config: AgentConfig;
  /** A second, independent connection: what the till software would use. */
  till(): Database.Database;
  destroy(): Promise<void>;
}

/** Config overrides as the environment would carry them, through the agent's own parser. */
function envOf(overrides: Partial<AgentConfig>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(overrides)) if (/^[A-Z_]+$/.test(k) && v !== undefined) env[k] = String(v);
  return env;
}

/** An agent on a temp-dir SQLite file, talking to `centralUrl`. */
export function createTestAgent(
  centralUrl: string,
  creds: { terminalId: string; key: string },
  /** Variables to set (typed as the parsed config); `databasePath` reopens an existing till's file. */
  overrides: Partial<AgentConfig> = {},
  /** Engine options beyond the config, e.g. a backoff function the test controls. */
  engineOptions: EngineOverrides = {},
): TestAgent {
  const dir = mkdtempSync(path.join(tmpdir(), "tillsync-agent-"));
  const file = overrides.databasePath ?? path.join(dir, "terminal.db");
  const config = loadAgentConfig({
    CENTRAL_API_URL: centralUrl,
    CENTRAL_API_KEY: creds.key,
    TERMINAL_ID: creds.terminalId,
    TERMINAL_DATABASE_URL: `file:${file}`,
    ...envOf(overrides),
  });
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
