import { randomUUID } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { CliProcess, envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("cli_ops");

/** One-shot commands that talk to central: test-connection, SYNC_ENABLED, dry runs, bands, the lock. */
describe("tillsync-agent commands against central", () => {
  const dirs: string[] = [];
  const proxies: ControllableProxy[] = [];
  const daemons: CliProcess[] = [];
  const tills: Database.Database[] = [];

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) await d.kill("SIGKILL");
    for (const p of proxies) await p.close();
    for (const t of tills) t.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function terminal() {
    const creds = await central.provisionTerminal();
    const proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    proxies.push(proxy);
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-ops-"));
    dirs.push(dir);
    const file = path.join(dir, "terminal.db");
    const env = envOf({
      CENTRAL_API_URL: proxy.url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
    });
    expect((await runCli(["resume"], env)).code).toBe(0); // creates and migrates the file
    const till = new Database(file);
    till.pragma("busy_timeout = 5000");
    tills.push(till);
    return { creds, proxy, file, env, till };
  }

  function sell(db: Database.Database, storeId: string): string {
    const id = randomUUID();
    db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 700)`).run(
      id,
      storeId,
    );
    return id;
  }

  const atCentral = async (table: string, id: string) =>
    (await pg.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [id])).rows[0].n as number;
  const status = async (env: NodeJS.ProcessEnv) =>
    JSON.parse((await runCli(["status", "--json"], env)).stdout) as Record<string, unknown>;

  it("test-connection: one line per check, exit 0; a wrong key or a cut network exit 1 naming the check", async () => {
    const t = await terminal();
    const ok = await runCli(["test-connection"], t.env);
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    const lines = ok.stdout.trim().split("\n");
    expect(lines.map((l) => l.slice(0, 14).trim())).toEqual([
      "ok   resolve",
      "ok   reach",
      "ok   protocol",
      "ok   clock",
      "ok   key",
    ]);
    expect(lines[1]).toMatch(/answered 200 in \d+ ms \(round trip\)$/);
    expect(lines[2]).toMatch(/protocol 2, which central speaks \(central serves 1-2\)$/);
    expect(lines[3]).toMatch(/central is \d+ ms (ahead of|behind) this till/);

    const wrongKey = await runCli(["test-connection"], { ...t.env, CENTRAL_API_KEY: "tsk_not_the_right_key_000" });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/^FAIL key +central refused the key of terminal /m);
    expect(wrongKey.stderr).toBe("tillsync-agent: connection test failed: key\n");

    t.proxy.cut();
    const cut = await runCli(["test-connection"], t.env);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/^FAIL reach +cannot reach central/m);
    expect(cut.stdout).not.toMatch(/key/);
  });

  it("SYNC_ENABLED=false: sync says so and exits 0 without contacting central; status is gray 'sync disabled'", async () => {
    const t = await terminal();
    const order = sell(t.till, t.creds.storeId);
    t.proxy.cut(); // had it tried, it would have failed with exit 1
    const off = { ...t.env, SYNC_ENABLED: "false" };
    const r = await runCli(["sync"], off);
    expect(r).toMatchObject({
      code: 0,
      stdout: "sync is disabled on this terminal (SYNC_ENABLED=false); nothing was sent\n",
    });
    expect((await runCli(["startup"], off)).code).toBe(0);
    expect(await status(off)).toMatchObject({ health: "gray", syncEnabled: false });
    expect((await runCli(["status"], off)).stdout).toMatch(/^health: +gray \(sync disabled: SYNC_ENABLED=false\)$/m);
    expect(await atCentral("sale_orders", order)).toBe(0);
  });

  it("sync --dry-run offline lists the pending changes and says the pull is unknown; exit 0", async () => {
    const t = await terminal();
    const order = sell(t.till, t.creds.storeId);
    t.proxy.cut();
    const r = await runCli(["sync", "--dry-run"], t.env);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^would push 1 change\(s\):$/m);
    expect(r.stdout).toContain(`sale_orders            CREATE ${order}`);
    expect(r.stdout).toMatch(/^would pull: unknown, central is unreachable \(cannot reach central/m);
  });

  it("sync --priority critical pushes that band only; the rest waits; a bad band exits 2", async () => {
    const t = await terminal();
    const order = sell(t.till, t.creds.storeId);
    const customer = randomUUID();
    t.till.prepare(`INSERT INTO customers (id, name) VALUES (?, 'Ada')`).run(customer);
    const r = await runCli(["--verbose", "sync", "--priority", "critical"], t.env);
    expect(r.code).toBe(0);
    // --verbose: debug lines on stderr (JSON off a TTY), stdout keeps only the result.
    const debug = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string; cycleId?: number });
    expect(debug).toContainEqual(expect.objectContaining({ level: 20, msg: "sync done", cycleId: expect.any(Number) }));
    expect((await runCli(["sync", "--priority", "critical"], t.env)).stderr).toBe("");
    expect(r.stdout).toMatch(/^pushed 1 \(bands CRITICAL and above\), pulled \d+/);
    expect(await atCentral("sale_orders", order)).toBe(1);
    expect(await atCentral("customers", customer)).toBe(0);
    expect(t.till.prepare(`SELECT status FROM outbox WHERE entity_type = 'customers'`).get()).toEqual({
      status: "PENDING",
    });
    const bad = await runCli(["sync", "--priority", "urgent"], t.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be one of critical, high, medium, low, background/);
  });

  it("status follows the latest outcome, whoever ran it: a failed one-shot is not green, a later success clears red", async () => {
    const t = await terminal();
    expect((await runCli(["sync"], t.env)).code).toBe(0);
    expect(await status(t.env)).toMatchObject({ health: "green", consecutiveFailures: 0 });

    t.proxy.cut();
    expect((await runCli(["sync"], t.env)).code).toBe(1);
    const failed = await status(t.env);
    expect(failed).toMatchObject({ health: "yellow", consecutiveFailures: 1 });
    expect(failed.lastError).toMatch(/cannot reach central/);

    // What a daemon that died with its circuit open leaves behind.
    t.till
      .prepare(`UPDATE sync_state SET value = ? WHERE key = 'engine_state'`)
      .run(JSON.stringify({ kind: "circuit-open", failures: 5, retryAt: Date.now() + 60_000 }));
    expect(await status(t.env)).toMatchObject({ health: "red", circuit: "open" });
    t.proxy.reconnect();
    expect((await runCli(["sync"], t.env)).code).toBe(0);
    expect(await status(t.env)).toMatchObject({
      health: "green",
      consecutiveFailures: 0,
      circuit: "closed",
      lastError: null,
    });
  });

  it("a one-shot sync beside a running daemon is refused with a clear message and sends nothing", async () => {
    const t = await terminal();
    const daemon = new CliProcess(["start"], t.env);
    daemons.push(daemon);
    await waitFor(() => /startup sync: pushed 0/.test(daemon.stdout), { what: "daemon started" });
    // The one-shot gets a central of its own that counts connections: had it synced, it would
    // have connected there (the daemon keeps using the real one, and may sync meanwhile).
    let connections = 0;
    const counting = net.createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((resolve) => counting.listen(0, "127.0.0.1", resolve));
    const countingUrl = `http://127.0.0.1:${(counting.address() as AddressInfo).port}`;
    const r = await runCli(["sync"], { ...t.env, CENTRAL_API_URL: countingUrl });
    const resend = await runCli(["resend", "--since", "2000-01-01"], { ...t.env, CENTRAL_API_URL: countingUrl });
    counting.close();
    expect(resend.code).toBe(1);
    expect(resend.stderr).toMatch(/^tillsync-agent: the daemon \(pid \d+\) is running on this database/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^tillsync-agent: the daemon \\(pid ${daemon.child.pid}\\) is running on this database and syncs it itself; nothing was sent`,
      ),
    );
    expect(connections).toBe(0);
    const second = new CliProcess(["start"], t.env);
    daemons.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr).toMatch(/the daemon \(pid \d+\) is running on this database/);
    expect(await daemon.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    // Once it stopped, the lock is gone and a one-shot runs.
    expect((await runCli(["sync"], t.env)).code).toBe(0);
  });
});
