import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { Priority, START_CURSOR, type PullResponse, type PushChange, type PushResult } from "@tillsync/shared";
import { waitFor } from "@tillsync/testkit";
import { createAgent, loadAgentConfig, type Agent, type CentralTransport } from "../src";

/** Central that applies everything; the first push waits until the test lets it answer. */
class GatedCentral implements CentralTransport {
  pushed: string[] = [];
  private gate: Promise<void> | undefined;
  release: () => void = () => undefined;
  constructor() {
    this.gate = new Promise((r) => (this.release = r));
  }
  async push(changes: PushChange[]): Promise<PushResult[]> {
    const gate = this.gate;
    this.gate = undefined;
    await gate;
    this.pushed.push(...changes.map((c) => c.entityType));
    return changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);
  }
  async pull(): Promise<PullResponse> {
    return { changes: [], nextCursor: START_CURSOR, hasMore: false } as unknown as PullResponse;
  }
  async acknowledge(): Promise<void> {}
  async heartbeat(): Promise<void> {}
}

/** A till's agent configuration; central is a double, so its URL is never dialled. */
function tillConfig(file: string, extra: Record<string, string> = {}) {
  return loadAgentConfig({
    CENTRAL_API_URL: "http://127.0.0.1:9",
    CENTRAL_API_KEY: "k".repeat(32),
    TERMINAL_ID: "00000000-0000-4000-8000-000000000001",
    TERMINAL_DATABASE_URL: `file:${file}`,
    ...extra,
  });
}

/** Central for a till that never stops selling: each push answered, another sale committed. */
class NonStopSales extends GatedCentral {
  pulls = 0;
  pushesAfterPull = 0;
  selling = true;
  constructor(private readonly file: string) {
    super();
    this.release();
  }
  override async push(changes: PushChange[]): Promise<PushResult[]> {
    await new Promise((r) => setImmediate(r)); // as the network does: other work runs meanwhile
    const out = await super.push(changes);
    if (this.pulls > 0) this.pushesAfterPull++;
    if (this.selling) sellOne(this.file);
    return out;
  }
  override async pull(): Promise<PullResponse> {
    this.pulls++;
    return super.pull();
  }
}

let sold = 0;
function sellOne(file: string): void {
  const till = new Database(file);
  const id = `00000000-0000-4000-8000-${String(++sold).padStart(12, "0")}`;
  till
    .prepare(
      `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at)
       VALUES (?, '00000000-0000-4000-8000-0000000000e1', 'COMPLETED', 100, '2026-12-01T10:00:00.000Z')`,
    )
    .run(id);
  till.close();
}

describe("a till that sells without a pause", () => {
  let dir: string;
  let agent: Agent;
  afterEach(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("still pulls every push slice, and goes on pushing after the pull", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-slice-"));
    const file = path.join(dir, "t.db");
    const central = new NonStopSales(file);
    agent = createAgent(tillConfig(file, { SYNC_INTERVAL: "3600" }), central, { pushSliceMs: 200 });
    agent.engine.start();
    sellOne(file);
    void agent.engine.runCycle(Priority.CRITICAL);
    await waitFor(() => central.pulls >= 2 && central.pushesAfterPull > 0);
    central.selling = false;
  });
});

/**
 * A busy till: a CRITICAL cycle is nearly always running when the interval's tick for the
 * MEDIUM band comes. The tick must run after it, not be dropped (lower bands starved).
 */
describe("an interval tick that lands during a CRITICAL cycle", () => {
  let dir: string;
  let agent: Agent;

  afterEach(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs its bands right after the cycle in flight", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-bands-"));
    const file = path.join(dir, "t.db");
    const central = new GatedCentral();
    agent = createAgent(
      tillConfig(file, { SYNC_INTERVAL: "3600" }), // no real tick during the test: the test plays it
      central,
    );
    agent.engine.start();
    const till = new Database(file);
    till.prepare(`INSERT INTO customers (id, name) VALUES ('00000000-0000-4000-8000-0000000000c1', 'Ann')`).run();
    till
      .prepare(
        `INSERT INTO sale_orders (id, store_id, status, total_cents, completed_at)
         VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000e1', 'COMPLETED', 100, '2026-12-01T10:00:00.000Z')`,
      )
      .run();
    till.close();
    const critical = agent.engine.runCycle(Priority.CRITICAL);
    const tick = agent.engine.runCycle(Priority.MEDIUM); // what the interval does, mid-cycle
    expect(tick).toBe(critical);
    central.release();
    await critical;
    await waitFor(() => central.pushed.includes("customers"));
    expect(central.pushed).toEqual(["sale_orders", "customers"]); // the sale went first, alone
  });

  it("does not queue anything for a caller outside daemon mode", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-bands-"));
    const file = path.join(dir, "t.db");
    const central = new GatedCentral();
    agent = createAgent(tillConfig(file), central);
    const till = new Database(file);
    till.prepare(`INSERT INTO customers (id, name) VALUES ('00000000-0000-4000-8000-0000000000c1', 'Ann')`).run();
    till.close();
    const first = agent.engine.runCycle(Priority.CRITICAL);
    void agent.engine.runCycle(Priority.MEDIUM);
    central.release();
    await first;
    expect(await agent.engine.runCycle(Priority.CRITICAL)).toMatchObject({ pushed: 0 });
    expect(central.pushed).toEqual([]);
  });
});

/** Central that answers each push only when the test says so. */
class HeldPushes extends GatedCentral {
  readonly held: Array<{ types: string[]; answer(): void }> = [];
  private answering = false;
  override push(changes: PushChange[]): Promise<PushResult[]> {
    const results = changes.map((c) => ({ changeId: c.changeId, status: "APPLIED", version: 1 }) as PushResult);
    if (this.answering) return Promise.resolve(results);
    return new Promise((resolve) =>
      this.held.push({ types: [...new Set(changes.map((c) => c.entityType))], answer: () => resolve(results) }),
    );
  }
  /** Answers what is held, and every later push at once. */
  answerAll(): void {
    this.answering = true;
    for (const p of this.held) p.answer();
  }
}

/** SPEC §7: a COMPLETED sale reaches central at once also while a backlog drains. */
describe("a sale committed while a backlog drains", () => {
  let dir: string;
  let agent: Agent;
  afterEach(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("goes out in a push of its own while both backlog pushes are still unanswered", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-lane-"));
    const file = path.join(dir, "t.db");
    const central = new HeldPushes();
    agent = createAgent(tillConfig(file, { SYNC_INTERVAL: "3600", SYNC_BATCH_SIZE: "10" }), central);
    const till = new Database(file);
    const add = till.prepare(`INSERT INTO customers (id, name) VALUES (?, ?)`);
    for (let i = 1; i <= 40; i++) add.run(`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, `c${i}`);
    agent.engine.start();
    const draining = agent.engine.runCycle(Priority.MEDIUM);
    await waitFor(() => central.held.length === 2, { what: "two backlog pushes in flight" });
    till.close();
    sellOne(file); // the till's own connection: the engine sees it by data_version
    await waitFor(() => central.held.length === 3, { what: "the sale pushed beside them" });
    expect(central.held.map((p) => p.types)).toEqual([["customers"], ["customers"], ["sale_orders"]]);
    central.answerAll();
    expect(await draining).toMatchObject({ pushed: 41 });
  });
});

/** Central whose pull answers only when the test says so, and whose pushes are held (HeldPushes). */
class HeldPullAndPushes extends HeldPushes {
  pulling = false;
  releasePull: () => void = () => undefined;
  private readonly pullGate: Promise<void> = new Promise((r) => (this.releasePull = r));
  pulled = false;
  override async pull(): Promise<PullResponse> {
    this.pulling = true;
    await this.pullGate;
    this.pulled = true;
    return super.pull();
  }
}

describe("a sale committed while the cycle pulls, and then SIGTERM", () => {
  let dir: string;
  let agent: Agent;
  afterEach(async () => {
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("goes out beside the pull; stopping waits for its answer and records it, and sends nothing more", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "tillsync-lane-stop-"));
    const file = path.join(dir, "t.db");
    const central = new HeldPullAndPushes();
    agent = createAgent(tillConfig(file, { SYNC_INTERVAL: "3600" }), central);
    agent.engine.start();
    const cycle = agent.engine.runCycle();
    await waitFor(() => central.pulling, { what: "the cycle pulling" });
    sellOne(file);
    await waitFor(() => central.held.length === 1, { what: "the sale pushed beside the pull" });
    expect(agent.engine.current.kind).toBe("pulling-with-sales");
    let stopped = false;
    const stopping = agent.engine.stop().then(() => (stopped = true));
    sellOne(file); // after SIGTERM: stays for the next start
    central.releasePull(); // the pull ends first: the cycle still waits for the sale's answer
    await waitFor(() => central.pulled, { what: "the pull answered" });
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    expect(agent.engine.current.kind).toBe("pulling-with-sales");
    central.answerAll();
    await stopping;
    expect((await cycle).pushed).toBe(1);
    const statuses = agent.db.prepare(`SELECT status FROM outbox ORDER BY id`).all() as Array<{ status: string }>;
    expect(statuses.map((s) => s.status)).toEqual(["SYNCED", "PENDING"]);
  });
});
