import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { useTestCentral } from "@tillsync/central/testing";
import { ControllableProxy, waitFor } from "@tillsync/testkit";
import { CliProcess, envOf, runCli } from "./support/agent-cli";

const PRODUCTS = 1200;

const { central, pg } = useTestCentral("recovery");

/** SPEC §5 recovery: a lost or new terminal database is rebuilt from central by `startup --force`. */
describe("startup --force", () => {
  let proxy: ControllableProxy;
  const dirs: string[] = [];

  beforeAll(async () => {
    proxy = new ControllableProxy(central.running.port);
    await proxy.listen();
    await pg.query(
      `INSERT INTO products (sku, name, price_cents) SELECT 'REC-' || g, 'Product ' || g, 100 + g FROM generate_series(1, ${PRODUCTS}) g`,
    );
  });

  afterAll(async () => {
    await proxy?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function terminal(url: string) {
    const creds = await central.provisionTerminal();
    await pg.query(
      `INSERT INTO inventory_items (store_id, product_id, quantity) SELECT $1, id, 7 + price_cents % 5 FROM products`,
      [creds.storeId],
    );
    const dir = mkdtempSync(path.join(tmpdir(), "tillsync-recovery-"));
    dirs.push(dir);
    const file = path.join(dir, "terminal.db");
    return {
      creds,
      file,
      env: envOf({
        CENTRAL_API_URL: url,
        CENTRAL_API_KEY: creds.key,
        TERMINAL_ID: creds.terminalId,
        TERMINAL_DATABASE_URL: `file:${file}`,
      }),
    };
  }

  /** The till's view must equal central's: every product once, its store's stock with central's quantities. */
  async function expectRestored(file: string, storeId: string) {
    const db = new Database(file, { readonly: true });
    try {
      const products = db.prepare(`SELECT count(*) AS n, count(DISTINCT sku) AS skus FROM products`).get();
      expect(products).toEqual({ n: PRODUCTS, skus: PRODUCTS });
      const local = db.prepare(`SELECT product_id, quantity FROM inventory_items ORDER BY product_id`).all();
      const remote = await pg.query(
        `SELECT product_id::text, quantity FROM inventory_items WHERE store_id = $1 ORDER BY product_id`,
        [storeId],
      );
      expect(local).toEqual(remote.rows);
      expect(local).toHaveLength(PRODUCTS);
    } finally {
      db.close();
    }
  }

  it("deleting the database file and running startup --force brings catalogue and stock back", async () => {
    const t = await terminal(central.url);
    expect((await runCli(["sync"], t.env)).code).toBe(0);
    await expectRestored(t.file, t.creds.storeId);
    for (const f of [t.file, `${t.file}-wal`, `${t.file}-shm`]) rmSync(f, { force: true });

    const r = await runCli(["startup", "--force"], t.env);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    // Not a TTY here: plain progress lines an operator can read in the journal.
    expect(r.stdout).toMatch(/^recovery: page 1, \d+ rows so far$/m);
    expect(r.stdout).toMatch(/^recovery: done, \d+ rows in \d+ pages$/m);
    await expectRestored(t.file, t.creds.storeId);
    // The recovery and the cycle after it are both in history.
    const history = JSON.parse((await runCli(["history", "--json"], t.env)).stdout) as {
      kind: string;
      detail: string;
    }[];
    expect(history.map((h) => h.kind)).toEqual(["CYCLE", "RECOVERY"]);
    expect(history[1]!.detail).toMatch(/^startup --force: downloaded \d+ row\(s\) in \d+ page\(s\)$/);
  });

  it("killed halfway and run again, completes without duplicates and keeps the unsent sale", async () => {
    const t = await terminal(proxy.url);
    expect((await runCli(["resume"], envOf({ TERMINAL_DATABASE_URL: t.env.TERMINAL_DATABASE_URL }))).code).toBe(0); // creates and migrates the file
    const till = new Database(t.file);
    till.pragma("busy_timeout = 5000");
    const order = randomUUID();
    till
      .prepare(`INSERT INTO sale_orders (id, store_id, status, total_cents) VALUES (?, ?, 'COMPLETED', 900)`)
      .run(order, t.creds.storeId);

    // Let the recovery through one request at a time, then kill it while page 4 is in flight.
    proxy.hold();
    const first = new CliProcess(["startup", "--force", "--page-size", "100"], t.env);
    for (let page = 1; page <= 3; page++) {
      await waitFor(() => proxy.heldChunks > 0, { what: `request for page ${page}` });
      proxy.flushHeld();
      await waitFor(() => first.stdout.includes(`recovery: page ${page},`), { what: `page ${page} applied` });
    }
    await waitFor(() => proxy.heldChunks > 0, { what: "request for page 4" });
    expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    proxy.release();

    const partial = till.prepare(`SELECT count(*) AS n FROM products`).get() as { n: number };
    expect(partial.n).toBeGreaterThan(0);
    expect(partial.n).toBeLessThan(PRODUCTS);
    expect(till.prepare(`SELECT value FROM sync_state WHERE key = 'recovery'`).get()).toEqual({ value: "running" });
    // Emptying the catalogue was not captured as deletes for central; the sale still waits.
    expect(till.prepare(`SELECT entity_type, status FROM outbox`).all()).toEqual([
      { entity_type: "sale_orders", status: "PENDING" },
    ]);

    const second = await runCli(["startup", "--force", "--page-size", "100"], t.env);
    expect(second).toMatchObject({ code: 0, stderr: "" });
    expect(second.stdout).toContain("continued an interrupted recovery");
    await expectRestored(t.file, t.creds.storeId);
    expect((await pg.query(`SELECT count(*)::int AS n FROM sale_orders WHERE id = $1`, [order])).rows[0].n).toBe(1);
    expect(till.prepare(`SELECT status FROM outbox`).all()).toEqual([{ status: "SYNCED" }]);
    till.close();
  });
});
