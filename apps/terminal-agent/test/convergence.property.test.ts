import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { createTestAgent, type TestAgent } from "../testing";
import { cmd, type Cmd, P, T } from "./support/convergence-commands";
import { useRestorableCentral } from "./support/restorable-central";

/**
 * G3 + G4 as a property: random offline edits on three terminals (two stores) interleaved
 * with central writes and partial syncs; after syncing to quiescence every terminal equals
 * central within its scope, and central equals what the policy defines (stock = counts +
 * every adjustment once, a till's direct stock count included; loyalty/spend = every delta once;
 * every sale exactly once; prices central's whatever tills wrote, while till-owned names land;
 * a till's edit of a central-owned category put back), also when central is restored from its
 * last backup in the middle (what central wrote since is gone; what tills pushed since is
 * re-sent, so every sale is still there once). FC_RUNS sets the number of runs (default 100).
 */

const { central, pg, backup, restore } = useRestorableCentral("prop");

describe("convergence under random offline edits (property)", () => {
  const stores: string[] = [];
  const products: string[] = [];
  const agents: TestAgent[] = [];
  const storeOf: number[] = [0, 0, 1];
  type Sent = {
    stock: Array<{ key: string; delta: number }>;
    customers: Array<{ id: string; points: number; spent: number }>;
  };
  /** What the policy says central must hold. */
  const model = {
    stock: new Map<string, number>(),
    /** Central's price per product: only central sets it (field ownership). */
    price: new Map<string, number>(),
    points: new Map<string, number>(),
    spent: new Map<string, number>(),
    pendingStock: agentsArray<Array<{ key: string; delta: number }>>(),
    pendingCustomer: agentsArray<Array<{ id: string; points: number; spent: number }>>(),
    orders: 0,
    /** Central's part of the model when central was last backed up. */
    backup: null as null | {
      stock: Map<string, number>;
      price: Map<string, number>;
      points: Map<string, number>;
      spent: Map<string, number>;
    },
    /** What each till pushed since that backup: a restore loses it, the till re-sends it. */
    sentSinceBackup: agentsArray<Sent>().map((): Sent => ({ stock: [], customers: [] })),
  };
  function agentsArray<X>(): X[] {
    return Array.from({ length: T }, () => [] as unknown as X);
  }

  beforeAll(async () => {
    for (let s = 0; s < 2; s++)
      stores.push(
        (await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: `S${s}` })).body.store.id,
      );
    for (let p = 0; p < P; p++) {
      const id = randomUUID();
      products.push(id);
      await central.admin("POST", "/api/products", { id, sku: `PROP-${p}`, name: `p${p}`, priceCents: 100 });
      model.price.set(id, 100);
      for (const s of stores) {
        await central.admin("POST", "/api/stock", { storeId: s, productId: id, quantity: 1000 });
        model.stock.set(`${s}|${id}`, 1000);
      }
    }
    await pg.query(`INSERT INTO categories (id, name) VALUES ($1, 'Bakery')`, [randomUUID()]);
    for (let t = 0; t < T; t++) {
      const creds = await central.provisionTerminal({ storeId: stores[storeOf[t]!]! });
      agents.push(createTestAgent(central.url, creds));
    }
    for (const a of agents) await a.engine.runCycle();
  });

  afterAll(async () => {
    for (const a of agents) await a.destroy();
  });

  const customersAt = (t: number) =>
    agents[t]!.till().prepare(`SELECT id FROM customers ORDER BY id`).all() as Array<{ id: string }>;
  const pickCustomer = (t: number, c: number) => {
    const list = customersAt(t);
    return list.length ? list[c % list.length]!.id : undefined;
  };

  async function sync(t: number): Promise<void> {
    const r = await agents[t]!.engine.runCycle();
    if (r.error) throw new Error(`sync of till ${t} failed: ${r.error}`);
    // In the model, everything this till had pending has now reached central once.
    for (const a of model.pendingStock[t]!) model.stock.set(a.key, (model.stock.get(a.key) ?? 0) + a.delta);
    for (const c of model.pendingCustomer[t]!) {
      model.points.set(c.id, (model.points.get(c.id) ?? 0) + c.points);
      model.spent.set(c.id, (model.spent.get(c.id) ?? 0) + c.spent);
    }
    model.sentSinceBackup[t]!.stock.push(...model.pendingStock[t]!);
    model.sentSinceBackup[t]!.customers.push(...model.pendingCustomer[t]!);
    model.pendingStock[t] = [];
    model.pendingCustomer[t] = [];
  }

  async function backupCentral(): Promise<void> {
    await backup();
    const { stock, price, points, spent } = model;
    model.backup = { stock: new Map(stock), price: new Map(price), points: new Map(points), spent: new Map(spent) };
    model.sentSinceBackup = model.sentSinceBackup.map(() => ({ stock: [], customers: [] }));
  }

  /** Central back to the backup: its own writes since are lost; the tills' are pending again. */
  async function restoreCentral(): Promise<void> {
    const b = model.backup;
    if (!b) return;
    await restore();
    model.stock = new Map(b.stock);
    model.price = new Map(b.price);
    model.points = new Map(b.points);
    model.spent = new Map(b.spent);
    for (let t = 0; t < T; t++) {
      // Re-sent at the till's next sync (409 FEED_RESET), after central's writes made meanwhile.
      model.pendingStock[t] = [...model.sentSinceBackup[t]!.stock, ...model.pendingStock[t]!];
      model.pendingCustomer[t] = [...model.sentSinceBackup[t]!.customers, ...model.pendingCustomer[t]!];
      model.sentSinceBackup[t] = { stock: [], customers: [] };
    }
  }

  async function run(c: Cmd): Promise<void> {
    switch (c.kind) {
      case "sale": {
        const db = agents[c.t]!.till();
        const store = stores[storeOf[c.t]!]!;
        const product = products[c.p]!;
        const price = (
          db.prepare(`SELECT price_cents FROM products WHERE id = ?`).get(product) as { price_cents: number }
        ).price_cents;
        const customer = c.c === null ? undefined : pickCustomer(c.t, c.c);
        const order = randomUUID();
        db.transaction(() => {
          db.prepare(
            `INSERT INTO sale_orders (id, store_id, customer_id, status, total_cents) VALUES (?, ?, ?, 'PENDING', ?)`,
          ).run(order, store, customer ?? null, price * c.qty);
          db.prepare(
            `INSERT INTO sale_order_lines (id, order_id, product_id, quantity, unit_price_cents, line_total_cents) VALUES (?, ?, ?, ?, ?, ?)`,
          ).run(randomUUID(), order, product, c.qty, price, price * c.qty);
          db.prepare(`INSERT INTO payments (id, order_id, method, amount_cents) VALUES (?, ?, 'CARD', ?)`).run(
            randomUUID(),
            order,
            price * c.qty,
          );
          db.prepare(
            `INSERT INTO inventory_adjustments (id, store_id, product_id, delta, reason) VALUES (?, ?, ?, ?, 'SALE')`,
          ).run(randomUUID(), store, product, -c.qty);
          if (customer)
            db.prepare(
              `UPDATE customers SET loyalty_points = loyalty_points + ?, total_spent_cents = total_spent_cents + ? WHERE id = ?`,
            ).run(c.qty, price * c.qty, customer);
          db.prepare(`UPDATE sale_orders SET status = 'COMPLETED' WHERE id = ?`).run(order);
        })();
        model.orders++;
        model.pendingStock[c.t]!.push({ key: `${store}|${product}`, delta: -c.qty });
        if (customer) model.pendingCustomer[c.t]!.push({ id: customer, points: c.qty, spent: price * c.qty });
        return;
      }
      case "customerEdit": {
        const id = pickCustomer(c.t, c.c);
        if (id) agents[c.t]!.till().prepare(`UPDATE customers SET name = ? WHERE id = ?`).run(c.name, id);
        return;
      }
      case "customerCreate": {
        const id = randomUUID();
        agents[c.t]!.till().prepare(`INSERT INTO customers (id, name) VALUES (?, 'New')`).run(id);
        model.points.set(id, 0);
        model.spent.set(id, 0);
        return;
      }
      case "productEdit":
        // The price is central's (kept, the till converges back); a name is the till's to change.
        agents[c.t]!.till()
          .prepare(`UPDATE products SET price_cents = ?, name = coalesce(?, name) WHERE id = ?`)
          .run(c.price, c.name, products[c.p]);
        return;
      case "stockCount": {
        // A direct count at the till: a COUNT movement of new − shown reaches central once.
        const db = agents[c.t]!.till();
        const key = `${stores[storeOf[c.t]!]!}|${products[c.p]!}`;
        const shown = db.prepare(`SELECT quantity FROM inventory_items WHERE product_id = ?`).get(products[c.p]) as
          { quantity: number } | undefined;
        if (!shown) return;
        db.prepare(`UPDATE inventory_items SET quantity = ? WHERE product_id = ?`).run(c.qty, products[c.p]);
        model.pendingStock[c.t]!.push({ key, delta: c.qty - shown.quantity });
        return;
      }
      case "categoryEdit":
        agents[c.t]!.till().prepare(`UPDATE categories SET name = ?`).run(c.name);
        return;
      case "centralPrice":
        await pg.query(`UPDATE products SET price_cents = $2 WHERE id = $1`, [products[c.p], c.price]);
        model.price.set(products[c.p]!, c.price);
        return;
      case "centralCount": {
        // A count at central is a ledger movement (count − current), like any other stock change.
        const r = await central.admin("POST", "/api/stock", {
          storeId: stores[c.s],
          productId: products[c.p],
          quantity: c.qty,
        });
        expect(r.status).toBe(200);
        model.stock.set(`${stores[c.s]}|${products[c.p]}`, c.qty);
        return;
      }
      case "centralPoints": {
        const { rows } = await pg.query(`SELECT id FROM customers ORDER BY id`);
        if (!rows.length) return;
        const id = rows[c.c % rows.length].id as string;
        await pg.query(`UPDATE customers SET loyalty_points = loyalty_points + $2 WHERE id = $1`, [id, c.delta]);
        model.points.set(id, (model.points.get(id) ?? 0) + c.delta);
        return;
      }
      case "centralRename": {
        const { rows } = await pg.query(`SELECT id FROM customers ORDER BY id`);
        if (rows.length)
          await pg.query(`UPDATE customers SET name = $2 WHERE id = $1`, [rows[c.c % rows.length].id, c.name]);
        return;
      }
      case "backupCentral":
        return backupCentral();
      case "restoreCentral":
        return restoreCentral();
      case "sync":
        await sync(c.t);
        return;
    }
  }

  async function quiesce(): Promise<void> {
    for (let round = 0; round < 3; round++) for (let t = 0; t < T; t++) await sync(t);
  }

  async function assertConverged(): Promise<void> {
    const cols = `id, sku, name, price_cents, active, version`;
    const centralProducts = (await pg.query(`SELECT ${cols} FROM products ORDER BY id`)).rows.map((r) => ({
      ...r,
      active: r.active ? 1 : 0,
    }));
    const centralCustomers = (
      await pg.query(`SELECT id, name, loyalty_points, total_spent_cents, version FROM customers ORDER BY id`)
    ).rows;
    for (let t = 0; t < T; t++) {
      const db = agents[t]!.till();
      // Done means SYNCED, or CONFLICT settled by the policy (not held for a person).
      expect(
        db
          .prepare(
            `SELECT entity_type, operation, status, error FROM outbox WHERE status <> 'SYNCED' AND NOT (status = 'CONFLICT' AND error NOT LIKE '%PENDING')`,
          )
          .all(),
      ).toEqual([]);
      expect(db.prepare(`SELECT ${cols} FROM products ORDER BY id`).all()).toEqual(centralProducts);
      expect(
        db.prepare(`SELECT id, name, loyalty_points, total_spent_cents, version FROM customers ORDER BY id`).all(),
      ).toEqual(centralCustomers);
      const store = stores[storeOf[t]!]!;
      const stock = (
        await pg.query(
          `SELECT store_id, product_id, quantity, version FROM inventory_items WHERE store_id = $1 ORDER BY product_id`,
          [store],
        )
      ).rows;
      expect(
        db.prepare(`SELECT store_id, product_id, quantity, version FROM inventory_items ORDER BY product_id`).all(),
      ).toEqual(stock);
    }
    const categories = (await pg.query(`SELECT id, name, version FROM categories ORDER BY id`)).rows;
    for (let t = 0; t < T; t++)
      expect(agents[t]!.till().prepare(`SELECT id, name, version FROM categories ORDER BY id`).all()).toEqual(
        categories,
      );
    expect(categories.map((c) => c.name)).toEqual(["Bakery"]);
    for (const p of centralProducts) expect([p.id, p.price_cents]).toEqual([p.id, model.price.get(p.id)]);
    for (const [key, qty] of model.stock) {
      const [s, p] = key.split("|");
      expect(
        (await pg.query(`SELECT quantity FROM inventory_items WHERE store_id = $1 AND product_id = $2`, [s, p])).rows[0]
          .quantity,
      ).toBe(qty);
    }
    // Every stock quantity at central is the sum of its ledger (tills' movements and central's).
    const unledgered = await pg.query(
      `SELECT i.store_id, i.product_id, i.quantity, coalesce(sum(a.delta), 0)::int AS ledger
         FROM inventory_items i LEFT JOIN inventory_adjustments a
           ON a.store_id = i.store_id AND a.product_id = i.product_id
        GROUP BY i.store_id, i.product_id, i.quantity HAVING i.quantity <> coalesce(sum(a.delta), 0)`,
    );
    expect(unledgered.rows).toEqual([]);
    for (const c of centralCustomers) {
      expect([c.id, c.loyalty_points, c.total_spent_cents]).toEqual([
        c.id,
        model.points.get(c.id) ?? 0,
        model.spent.get(c.id) ?? 0,
      ]);
    }
    expect((await pg.query(`SELECT count(*)::int AS n FROM sale_orders WHERE status = 'COMPLETED'`)).rows[0].n).toBe(
      model.orders,
    );
    const unpaid = await pg.query(
      `SELECT count(*)::int AS n FROM sale_orders o WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)`,
    );
    expect(unpaid.rows[0].n).toBe(0);
  }

  it("every terminal equals central in its scope, and central equals the policy", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 15 }), async (cmds) => {
        for (const c of cmds) await run(c);
        await quiesce();
        await assertConverged();
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 100), endOnFailure: true },
    );
  }, 600_000);
});
