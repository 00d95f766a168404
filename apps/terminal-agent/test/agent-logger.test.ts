import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { createAgentLogger, prettyLine } from "../src/log/agent-logger";

/** The agent's pino logs: JSON off a TTY, readable on one, the same fields either way. */
describe("agent logger", () => {
  function capture(isTTY: boolean) {
    const stream = Object.assign(new PassThrough(), { isTTY });
    const chunks: string[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c.toString()));
    return { stream, text: () => chunks.join("") };
  }

  it("writes one JSON object per line when the stream is not a TTY", () => {
    const out = capture(false);
    const log = createAgentLogger({ level: "info", stream: out.stream, bindings: { terminalId: "t-1" } });
    log.info({ cycleId: 7, pushed: 2 }, "sync: pushed 2");
    log.debug("not at info");
    const lines = out.text().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      service: "tillsync-agent",
      terminalId: "t-1",
      cycleId: 7,
      pushed: 2,
      msg: "sync: pushed 2",
    });
  });

  it("writes readable lines with the same fields on a TTY", () => {
    const out = capture(true);
    const log = createAgentLogger({ level: "debug", stream: out.stream, bindings: { terminalId: "t-1" } });
    log.warn({ err: "cannot reach central" }, "sync failed");
    log.debug("state idle");
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d WARN {2}sync failed {2}terminalId=t-1 err=cannot reach central\n/);
    expect(out.text()).toMatch(/\n\d\d:\d\d:\d\d DEBUG state idle {2}terminalId=t-1\n$/);
  });

  it("formats a pino line: level name, message, extra fields as key=value (objects as JSON)", () => {
    const line = JSON.stringify({ level: 50, time: 0, pid: 1, hostname: "h", msg: "boom", counts: { a: 1 } });
    expect(prettyLine(line)).toMatch(/^\d\d:\d\d:\d\d ERROR boom {2}counts=\{"a":1\}\n$/);
  });
});

/** SPEC's documented way to run the agent from a checkout prints only the agent's output. */
describe("npm run -s agent", () => {
  it("`npm run -s agent -- status --json` prints a JSON document and nothing else", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-npm-"));
    try {
      const root = path.resolve(__dirname, "../../..");
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERMINAL_DATABASE_URL: `file:${dir}/t.db` };
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          const child = spawn("npm", ["run", "-s", "agent", "--", ...args], { cwd: root, env });
          let stdout = "";
          child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
          child.on("close", (code) => resolve({ code, stdout }));
        });
      expect((await run(["pause"])).code).toBe(0);
      const r = await run(["status", "--json"]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ state: "paused", health: "yellow" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
