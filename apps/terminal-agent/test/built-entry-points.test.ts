import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { createTestDatabase, removeRedisPrefix, TEST_REDIS_URL, testRedisPrefix, waitFor } from "@tillsync/testkit";

/**
 * Production entry points run the built JavaScript with plain node (issue 9): after
 * `npm run build`, the agent's bin and `npm run central` start from dist/, and tsx is not in
 * the production dependency tree.
 */
describe("built entry points", () => {
  const root = path.resolve(__dirname, "../../..");
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TURBO_TELEMETRY_DISABLED: "1" };

  beforeAll(() => {
    const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`);
  }, 180_000);

  it("tillsync-agent --help runs from dist with plain node", () => {
    const r = spawnSync(process.execPath, [path.join(root, "apps/terminal-agent/bin/tillsync-agent.js"), "--help"], {
      env,
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: tillsync-agent/);
    expect(r.stdout).toMatch(/startup/);
  });

  it("npm run central migrates and serves from dist, and stops on SIGTERM", async () => {
    const db = await createTestDatabase("built");
    const redisPrefix = testRedisPrefix("built");
    const child = spawn("npm", ["run", "central", "--silent"], {
      cwd: root,
      env: {
        ...env,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        PORT: "0",
        ADMIN_TOKEN: "built-entry-points-token",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a failing test can kill whatever is left
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      await waitFor(() => /listening on :(\d+)/.test(out), { timeoutMs: 30_000, what: `central to listen (${out})` });
      const port = Number(/listening on :(\d+)/.exec(out)![1]);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      // What runs is plain node on the built bin, with no tsx anywhere in the process tree.
      const tree = descendants(child.pid!);
      expect(tree.some((args) => /node .*tillsync-central\.js/.test(args))).toBe(true);
      expect(tree.filter((args) => /tsx/.test(args))).toEqual([]);
    } finally {
      child.kill("SIGTERM"); // to npm only: npm must pass it on to central
      const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000))]);
      if (code === "hung") process.kill(-child.pid!, "SIGKILL");
      expect(code).toBe(0);
      await db.drop();
      await removeRedisPrefix(redisPrefix);
    }
  }, 60_000);

  it("has no tsx in the production dependency tree", () => {
    const r = spawnSync("npm", ["ls", "tsx", "--omit=dev", "--all", "--parseable"], {
      cwd: root,
      env,
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe("");
  });
});

/** Command lines of every process below `pid`. */
function descendants(pid: number): string[] {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,ppid=,args="], { encoding: "utf8" }).stdout;
  const rows = ps
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const out: string[] = [];
  const walk = (p: number) => {
    for (const r of rows.filter((x) => x.ppid === p)) {
      out.push(r.args);
      walk(r.pid);
    }
  };
  walk(pid);
  return out;
}
