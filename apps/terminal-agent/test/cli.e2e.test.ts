import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { CliProcess, envOf, runCli } from "./support/agent-cli";

const { central, pg } = useTestCentral("cli");

/** The operator CLI, each command in its own process as on a till (SPEC §5). */
describe("tillsync-agent CLI", () => {
  const dirs: string[] = [];
  const proxies: ControllableProxy[] = [];
  const daemons: CliProcess[] = [];

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) await d.kill("SIGKILL");
    for (const p of proxies) await p.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function tempDb(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-cli-"));
    dirs.push(dir);
    return path.join(dir, "terminal.db");
  }

  async function terminal(opts: { viaProxy?: boolean } = {}) {
    const creds = await central.provisionTerminal();
    let url = central.url;
    let proxy: ControllableProxy | undefined;
    if (opts.viaProxy) {
      proxy = new ControllableProxy(central.running.port);
      await proxy.listen();
      proxies.push(proxy);
      url = proxy.url;
    }
    const file = tempDb();
    const config = {
      CENTRAL_API_URL: url,
      CENTRAL_API_KEY: creds.key,
      TERMINAL_ID: creds.terminalId,
      TERMINAL_DATABASE_URL: `file:${file}`,
    };
    return { creds, file, proxy, env: envOf(config), localEnv: envOf(config, { local: true }) };
  }

  /** The till software's own connection. */
  function till(file: string): Database.Database {
    const db = new Database(file);
    db.pragma("busy_timeout = 5000");
    return db;
  }

  function sell(db: Database.Database, storeId: string, status = "COMPLETED"): string {
    const id = randomUUID();
    db.transaction(() => {
      db.prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, ?, 700)`).run(
        id,
        storeId,
        status,
      );
      db.prepare(`INSERT INTO payments (order_id, method, amount_cents) VALUES (?, 'CARD', 700)`).run(id);
    })();
    return id;
  }

  const ordersAtCentral = async (id: string) =>
    (await pg.query(`SELECT count(*)::int AS n FROM sale_orders WHERE id = $1`, [id])).rows[0].n as number;

  it("status --json works with no central and no CENTRAL_* variables", async () => {
    const file = tempDb();
    const env = envOf({ TERMINAL_DATABASE_URL: `file:${file}` });
    // A wrong path must not read as a healthy, empty till: status says the file is missing.
    const missing = await runCli(["status", "--json"], env);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toBe(
      `tillsync-agent: no terminal database at ${file} (TERMINAL_DATABASE_URL=file:${file}); ` +
        "`tillsync-agent start` creates it; check the path and the directory you started from\n",
    );
    expect(existsSync(file)).toBe(false);
    expect((await runCli(["resume"], env)).code).toBe(0); // creates and migrates the file
    const empty = await runCli(["status", "--json"], env);
    expect(empty).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(empty.stdout)).toMatchObject({
      state: "idle",
      circuit: "closed",
      health: "gray",
      lastSyncAt: null,
      totals: { pending: 0 },
    });

    const db = till(file);
    sell(db, randomUUID());
    db.close();
    const r = await runCli(["status", "--json"], env);
    expect(JSON.parse(r.stdout).tables).toEqual({
      sale_orders: { pending: 1, failed: 0, synced: 0, conflicts: 0 },
      payments: { pending: 1, failed: 0, synced: 0, conflicts: 0 },
    });
    const text = await runCli(["status"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^health: +gray \(never synced\)$/m);
    expect(text.stdout).toMatch(/^sale_orders +1 +0 +0 +0$/m);
  });

  it("names a bad variable in one line and exits 2; usage errors exit 2; --help exits 0", async () => {
    const t = await terminal();
    const bad = await runCli(["sync"], { ...t.env, SYNC_INTERVAL: "soon" });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/^tillsync-agent: invalid agent configuration: SYNC_INTERVAL: /);
    const badDb = await runCli(["status"], { ...t.localEnv, TERMINAL_DATABASE_URL: "/var/lib/till.db" });
    expect(badDb.code).toBe(2);
    expect(badDb.stderr).toMatch(/TERMINAL_DATABASE_URL/);
    const unknown = await runCli(["frobnicate"], t.env);
    expect(unknown.code).toBe(2);
    const days = await runCli(["cleanup", "--days", "soon"], t.localEnv);
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/--days/);
    const help = await runCli(["--help"], t.env);
    expect(help.code).toBe(0);
    for (const c of ["start", "startup", "sync", "status", "pause", "resume", "retry-failed", "cleanup"])
      expect(help.stdout).toContain(`  ${c}`);
  });

  it("exits 1 with one line when central is unreachable", async () => {
    const t = await terminal({ viaProxy: true });
    t.proxy!.cut();
    const r = await runCli(["sync"], t.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tillsync-agent: sync failed: cannot reach central .*\n$/);
  });

  it("sync --dry-run lists what would move and changes nothing", async () => {
    const t = await terminal();
    const productId = randomUUID();
    await central.admin("POST", "/api/products", {
      id: productId,
      sku: `DRY-${productId.slice(0, 8)}`,
      name: "Dry",
      priceCents: 250,
    });
    await central.admin("POST", "/api/stock", { storeId: t.creds.storeId, productId, quantity: 4 });
    expect((await runCli(["resume"], t.localEnv)).code).toBe(0); // creates and migrates the file
    const db = till(t.file);
    const order = sell(db, t.creds.storeId);
    const snapshot = () => ({
      outbox: db.prepare(`SELECT * FROM outbox ORDER BY id`).all(),
      state: db.prepare(`SELECT * FROM sync_state ORDER BY key`).all(),
      products: db.prepare(`SELECT * FROM products`).all(),
      stock: db.prepare(`SELECT * FROM inventory_items`).all(),
      history: db.prepare(`SELECT * FROM sync_history`).all(),
    });
    const before = snapshot();

    const dry = await runCli(["sync", "--dry-run"], t.env);
    expect(dry).toMatchObject({ code: 0, stderr: "" });
    expect(dry.stdout).toMatch(/^would push 2 change\(s\):$/m);
    expect(dry.stdout).toContain(`sale_orders            CREATE ${order}  priority 10`);
    expect(dry.stdout).toMatch(/^ {2}products UPSERT +\d+$/m);
    expect(dry.stdout).toMatch(/^ {2}inventory_items UPSERT +1$/m);
    expect(snapshot()).toEqual(before);
    expect(await ordersAtCentral(order)).toBe(0);

    const real = await runCli(["sync"], t.env);
    expect(real.code).toBe(0);
    expect(await ordersAtCentral(order)).toBe(1);
    expect(db.prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(productId)).toEqual({
      quantity: 4,
    });
    db.close();
  });

  it("pause survives a restart: the daemon starts paused, and follows resume while running", async () => {
    const t = await terminal();
    expect((await runCli(["pause"], t.localEnv)).code).toBe(0);
    const db = till(t.file);
    const order = sell(db, t.creds.storeId);

    const daemon = new CliProcess(["start"], t.env);
    daemons.push(daemon);
    await waitFor(() => /sync is paused on this terminal/.test(daemon.stdout), { what: "daemon starting paused" });
    // The only cycle the daemon attempted was skipped: nothing left the till.
    expect(await ordersAtCentral(order)).toBe(0);
    const status = JSON.parse((await runCli(["status", "--json"], t.localEnv)).stdout) as {
      state: string;
      paused: boolean;
      health: string;
    };
    expect(status).toMatchObject({ state: "paused", paused: true, health: "yellow" });
    const oneShot = await runCli(["sync"], t.env);
    expect(oneShot.code).toBe(1);
    expect(oneShot.stderr).toMatch(
      /^tillsync-agent: sync is paused on this terminal; run `tillsync-agent resume` first\n$/,
    );
    // The daemon's heartbeat tells central the state and the outbox counts.
    await waitFor(
      async () => {
        const r = await pg.query(`SELECT last_heartbeat FROM terminals WHERE id = $1`, [t.creds.terminalId]);
        const hb = r.rows[0]?.last_heartbeat as {
          status?: string;
          outbox?: { sale_orders?: { pending: number } };
        } | null;
        return hb?.status === "paused" && hb.outbox?.sale_orders?.pending === 1;
      },
      { what: "heartbeat with status paused at central" },
    );

    expect((await runCli(["resume"], t.localEnv)).code).toBe(0);
    await waitFor(async () => (await ordersAtCentral(order)) === 1, { what: "order pushed after resume" });
    expect(await daemon.kill("SIGTERM")).toEqual({ code: 0, signal: null });
    db.close();
  });

  it("SIGTERM finishes the batch in flight, exits 0, and leaves nothing half-applied", async () => {
    const t = await terminal({ viaProxy: true });
    const daemon = new CliProcess(["start"], t.env);
    daemons.push(daemon);
    await waitFor(() => /startup sync: pushed 0/.test(daemon.stdout), { what: "daemon started" });
    const db = till(t.file);
    t.proxy!.hold();
    const order = sell(db, t.creds.storeId); // CRITICAL: the daemon pushes it at once
    await waitFor(
      () =>
        t.proxy!.heldChunks > 0 &&
        (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'SYNCING'`).get() as { n: number }).n === 2,
      {
        what: "push in flight, held",
      },
    );
    daemon.child.kill("SIGTERM");
    await waitFor(() => /SIGTERM: finishing the batch in flight/.test(daemon.stdout), { what: "daemon stopping" });
    t.proxy!.release();
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    // Not a TTY: one JSON object per line, the last one the daemon's "stopped".
    expect(JSON.parse(daemon.stdout.trim().split("\n").pop()!)).toMatchObject({ msg: "stopped", level: 30 });
    expect(db.prepare(`SELECT DISTINCT status FROM outbox`).all()).toEqual([{ status: "SYNCED" }]);
    expect(await ordersAtCentral(order)).toBe(1);
    expect((await pg.query(`SELECT count(*)::int AS n FROM payments WHERE order_id = $1`, [order])).rows[0].n).toBe(1);
    const status = JSON.parse((await runCli(["status", "--json"], t.localEnv)).stdout) as { state: string };
    expect(status.state).toBe("stopped");
    db.close();
  });
});
