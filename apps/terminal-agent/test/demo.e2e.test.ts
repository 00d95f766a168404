import path from "node:path";
import { Client } from "pg";
import { listRedisKeys, runSource, TEST_PG_URL, TEST_REDIS_URL, type RunResult } from "@tillsync/testkit";

const root = path.resolve(__dirname, "../../..");

function runDemo(): Promise<RunResult> {
  return runSource("scripts/demo.ts", [], {
    cwd: root,
    env: { ...process.env, DEMO_SECONDS: "3", DATABASE_URL: TEST_PG_URL, REDIS_URL: TEST_REDIS_URL },
  });
}

describe("npm run demo", () => {
  it("two runs side by side each sell on three tills, cut one off, reconnect it, converge, and leave nothing behind", async () => {
    const runs = await Promise.all([runDemo(), runDemo()]);
    const names: string[] = [];
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/failed/);
      expect(r.stdout).toMatch(/Till 3 cut off from central/);
      expect(r.stdout).toMatch(/Till 3 reconnected/);
      expect(r.stdout).toMatch(/== Convergence report ==/);
      expect(r.stdout).toMatch(/CONVERGED: every terminal agrees with central\./);
      expect(r.code).toBe(0);
      names.push(/migrated (tillsync_demo_[0-9a-f]{8})/.exec(r.stdout)![1]!);
    }
    expect(new Set(names).size).toBe(2);
    const pg = new Client({ connectionString: TEST_PG_URL });
    await pg.connect();
    try {
      const left = await pg.query(`SELECT datname FROM pg_database WHERE datname = ANY($1)`, [names]);
      expect(left.rows).toEqual([]);
    } finally {
      await pg.end();
    }
    for (const name of names) {
      expect(await listRedisKeys(`tillsync-demo:${name.replace("tillsync_demo_", "")}`)).toEqual([]);
    }
  }, 240_000);
});
