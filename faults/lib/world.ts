import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Pool } from "pg";
import { AgentProcess } from "./agent-process";
import { CentralProcess } from "./central-process";
import { FaultProxy } from "./fault-proxy";
import { WriterProcess, type WriterOptions } from "./ledger";
import type { PrivatePostgres, PrivateRedis } from "./services";
import { freePort } from "@tillsync/testkit";
import { waitUntil } from "./util";

/** One terminal of a scenario: its agent, the proxy in front of central, its till writer. */
export interface Till {
  name: string;
  terminalId: string;
  key: string;
  file: string;
  proxy: FaultProxy;
  agent: AgentProcess;
  writer: WriterProcess;
  /** Opens the till's SQLite read-only for a check; close it after. */
  read<T>(fn: (db: Database.Database) => T): T;
}

export interface WorldOptions {
  tills: number;
  products: number;
  customers?: number;
  /** Stock each product starts with at central. */
  initialStock?: number;
  agentEnv?: Record<string, string>;
  /** Per-till agent variables or process variables (by index). */
  tillEnv?: (i: number) => { extra?: Record<string, string>; processEnv?: Record<string, string> };
  /** Per-till directory for the SQLite file (a small tmpfs for the full-disk scenario). */
  tillDir?: (i: number) => string | undefined;
  writer?: Partial<Omit<WriterOptions, "databaseFile" | "ledgerFile" | "storeId">>;
  centralEnv?: Record<string, string>;
}

export interface Services {
  pg: PrivatePostgres;
  redis: PrivateRedis;
}

/**
 * A scenario's world: a fresh database on the private PostgreSQL, a Redis prefix of its own,
 * central, a store with products, stock and customers, and the tills. Built through central's
 * admin API (and plain SQL for customers, which enter the change feed by its triggers), as an
 * operator would.
 */
export class World {
  central!: CentralProcess;
  pool!: Pool;
  storeId = "";
  products: Array<{ id: string; sku: string; priceCents: number }> = [];
  customers: Array<{ id: string; points: number; spent: number }> = [];
  tills: Till[] = [];
  readonly adminToken = randomBytes(16).toString("hex");

  constructor(
    readonly services: Services,
    readonly dir: string,
    readonly options: WorldOptions,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get initialStock(): number {
    return this.options.initialStock ?? 1_000_000;
  }

  async api<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await fetch(this.central.url + p, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async start(): Promise<void> {
    const db = `faults_${path.basename(this.dir).replace(/\W/g, "_")}_${randomBytes(3).toString("hex")}`;
    const databaseUrl = await this.services.pg.createDatabase(db);
    this.pool = new Pool({ connectionString: databaseUrl, max: 4 });
    this.pool.on("error", () => undefined);
    const env = {
      databaseUrl,
      redisUrl: this.services.redis.url,
      redisPrefix: `faults-${randomBytes(4).toString("hex")}`,
      adminToken: this.adminToken,
      port: await freePort(),
      extra: this.options.centralEnv,
    };
    this.central = new CentralProcess(env, this.dir);
    await this.central.start();
    await this.seedCatalogue();
    for (let i = 0; i < this.options.tills; i++) this.tills.push(await this.addTill(i));
    await Promise.all(this.tills.map((t) => this.waitBootstrapped(t)));
  }

  private async seedCatalogue(): Promise<void> {
    const { store } = await this.api<{ store: { id: string } }>("POST", "/api/stores", { name: "Faults High Street" });
    this.storeId = store.id;
    for (let i = 0; i < this.options.products; i++) {
      const sku = `F-${String(i).padStart(4, "0")}`;
      const priceCents = 100 + i * 37;
      const { product } = await this.api<{ product: { id: string } }>("POST", "/api/products", {
        sku,
        name: `Product ${i}`,
        priceCents,
      });
      await this.api("POST", "/api/stock", { storeId: store.id, productId: product.id, quantity: this.initialStock });
      this.products.push({ id: product.id, sku, priceCents });
    }
    for (let i = 0; i < (this.options.customers ?? 0); i++) {
      const c = { id: randomUUID(), points: 100 * i, spent: 1000 * i };
      await this.pool.query(
        `INSERT INTO customers (id, name, loyalty_points, total_spent_cents) VALUES ($1, $2, $3, $4)`,
        [c.id, `Customer ${i}`, c.points, c.spent],
      );
      this.customers.push(c);
    }
  }

  private async addTill(i: number): Promise<Till> {
    const name = `till${i + 1}`;
    const { terminal, key } = await this.api<{ terminal: { id: string }; key: string }>("POST", "/api/terminals", {
      name,
      storeId: this.storeId,
    });
    const proxy = new FaultProxy(this.central.url ? Number(new URL(this.central.url).port) : 0);
    await proxy.listen();
    const tillDir = this.options.tillDir?.(i) ?? path.join(this.dir, name);
    mkdirSync(tillDir, { recursive: true });
    const file = path.join(tillDir, "terminal.db");
    const perTill = this.options.tillEnv?.(i) ?? {};
    const agent = new AgentProcess(
      {
        centralUrl: proxy.url,
        key,
        terminalId: terminal.id,
        databaseFile: file,
        extra: { ...this.options.agentEnv, ...perTill.extra },
        processEnv: perTill.processEnv,
      },
      this.dir,
      name,
    );
    const writer = new WriterProcess(
      {
        databaseFile: file,
        ledgerFile: path.join(this.dir, `${name}.ledger.jsonl`),
        storeId: this.storeId,
        seed: 1000 * (i + 1),
        gapMs: 150,
        completeDelayMaxMs: 20,
        maxLines: 3,
        customerIds: this.customers.map((c) => c.id),
        ...this.options.writer,
      },
      this.dir,
      name,
      perTill.processEnv,
    );
    agent.start();
    return { name, terminalId: terminal.id, key, file, proxy, agent, writer, read: (fn) => readTill(file, fn) };
  }

  /** The agent's startup sync brought the catalogue and stock: the till can sell. */
  async waitBootstrapped(t: Till): Promise<void> {
    await waitUntil(
      () =>
        t.read(
          (db) =>
            (db.prepare(`SELECT count(*) AS n FROM inventory_items`).get() as { n: number }).n === this.products.length,
        ),
      60_000,
      `${t.name} to pull the catalogue`,
      200,
    );
  }

  startSelling(overrides: Partial<WriterOptions> = {}, which: Till[] = this.tills): void {
    for (const t of which) t.writer.start(overrides);
  }

  async stopSelling(): Promise<void> {
    await Promise.all(this.tills.map((t) => t.writer.stop()));
  }

  async close(): Promise<void> {
    await this.stopSelling();
    await Promise.all(this.tills.map((t) => t.agent.stop()));
    await Promise.all(this.tills.map((t) => t.proxy.close()));
    await this.central.stop();
    await this.pool.end().catch(() => undefined);
  }
}

function readTill<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
